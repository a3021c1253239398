"""The driver notebooks, nbs/train.ipynb, nbs/eval.ipynb, nbs/bench.ipynb, nbs/proving_ground.ipynb and
nbs/gpu_figures.ipynb, run end to end through papermill as users run them, on the CPU with tiny settings: a 2-step run on
tiny shards, scored on a tiny VOC-layout tree, all in a temporary folder (figures and generated data included). The
notebooks' own cells are not run by the numbered-notebook tests (see conftest.py). The drivers stay thin: parameters, calls
into `ovs_nb.experiment` and display (`test_drivers_are_thin`)."""

import ast, json, time
from pathlib import Path
import nbformat
import papermill as pm
import pytest
import yaml

NBS = Path(__file__).resolve().parent
DRIVERS = ('train.ipynb', 'eval.ipynb', 'bench.ipynb', 'proving_ground.ipynb', 'gpu_figures.ipynb')


@pytest.mark.parametrize('name', DRIVERS)
def test_parameters_cell(name):
    "papermill finds the parameters by the cell tag `parameters`: exactly one cell must carry it."
    nb = nbformat.read(NBS / name, as_version=4)
    tagged = [c for c in nb.cells if 'parameters' in c.get('metadata', {}).get('tags', [])]
    assert len(tagged) == 1, (
        f"{name}: {len(tagged)} cells tagged 'parameters' (nbdev_clean keeps cell tags only when "
        "settings.ini has `allowed_cell_metadata_keys = tags`)"
    )
    assert not any(c.get('outputs') for c in nb.cells if c.cell_type == 'code'), (
        f"{name} is committed with outputs"
    )


# the most non-blank code lines (all code cells, the parameters cell included) a driver notebook may hold
MAX_CODE_LINES = 80


def run_driver(driver: str, out, parameters: dict):
    "Run driver notebook `driver` with papermill from nbs/, as a user does, with `parameters`: the executed notebook."
    return pm.execute_notebook(
        str(NBS / driver),
        str(out),
        kernel_name='python3',
        cwd=str(NBS),
        progress_bar=False,
        parameters=parameters,
    )


def tiny_train(shards, **changes) -> dict:
    "train.ipynb's parameters for a 2-step CPU run on `shards` (32 px, batch 8, the 'quick' protocol), with `changes`."
    base = dict(
        recipe=None,
        data=shards,
        steps=2,
        batch_size=8,
        lr=1e-3,
        image_size=32,
        num_workers=1,
        device='cpu',
        eval_protocol='quick',
        train_kwargs=dict(scale_lr=False, warmup_steps=1),
    )
    return base | changes


def code_lines(nb) -> int:
    "Non-blank lines in the code cells of a notebook."
    return sum(1 for c in nb.cells if c.cell_type == 'code' for line in c.source.splitlines() if line.strip())


@pytest.mark.parametrize('name', DRIVERS)
def test_drivers_are_thin(name):
    "A driver is its parameters, calls and display: logic belongs in a module with a test under it (ovs_nb.experiment)."
    nb = nbformat.read(NBS / name, as_version=4)
    assert code_lines(nb) <= MAX_CODE_LINES, f"{name}: {code_lines(nb)} code lines (at most {MAX_CODE_LINES})"
    for c in nb.cells:
        if c.cell_type != 'code':
            continue
        defs = [
            n.name for n in ast.walk(ast.parse(c.source)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        ]
        assert not defs, (
            f"{name} defines {defs}: move them into ovs_nb.experiment (or the module they belong to)"
        )


def _text(nb) -> str:
    "All stream and text/plain outputs of an executed notebook."
    out = []
    for c in nb.cells:
        for o in c.get('outputs', []):
            out.append(
                o.get('text', '')
                if o.get('output_type') == 'stream'
                else o.get('data', {}).get('text/plain', '')
            )
    return '\n'.join(out)


def sandbox(tmp_path, monkeypatch):
    "Point figures and generated data at `tmp_path` (the kernels inherit the environment: nothing is written outside it)."
    for k, v in dict(
        OVS_NB_FIGURES=tmp_path / 'figures',
        OVS_NB_DATA=tmp_path / 'data',
        HF_HUB_OFFLINE=1,
        MPLBACKEND='Agg',
        OMP_NUM_THREADS=1,
    ).items():
        monkeypatch.setenv(k, str(v))


def test_train_then_eval(tmp_path, monkeypatch):
    from ovs_nb.data import write_shards
    from ovs_nb.segdata import write_voc_fixture

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=4, per_shard=8, size=32)
    voc = write_voc_fixture(tmp_path / 'voc', n=3, size=(48, 64))
    run = tmp_path / 'run'
    t = time.time()
    nb = run_driver(
        'train.ipynb',
        str(tmp_path / 'train-out.ipynb'),
        tiny_train(
            shards,
            preset='groupvit-tiny',
            out_dir=str(run),
            eval_limit=2,
            eval_every=1,
            eval_dataset='voc',
            eval_root=str(voc),
            n_show=2,
        ),
    )
    t_train = time.time() - t
    text = _text(nb)
    res = json.loads((run / 'results.json').read_text())
    assert set(res['miou']) == {'trained', 'random_init', 'all_background'}, res
    assert all(0 <= v <= 1 for v in res['miou'].values()) and res['n_images'] == 2 and res['step'] == 2
    assert (
        res['train']['steps'] == 2 and res['train']['recipe'] is None and res['eval']['protocol'] == 'quick'
    )
    assert f"mIoU trained {100 * res['miou']['trained']:.2f}% | random-init" in text, text[-3000:]
    figs = sorted(p.name for p in (tmp_path / 'figures').glob('*.png'))
    assert figs == [
        'train-run-confusion.png',
        'train-run-diagnostics.png',
        'train-run-groups.png',
        'train-run-miou.png',
        'train-run-predictions.png',
        'train-run.png',
    ], figs
    # statistics and diagnostics: an interval around each mIoU, paired differences, the threshold rule said out loud
    assert set(res['miou_ci95']) == set(res['miou']) and all(
        0 <= lo <= hi <= 1 for lo, hi in res['miou_ci95'].values()
    ), res
    assert set(res['paired']) == {'trained_vs_random_init', 'trained_vs_all_background'}
    assert (
        'NOT calibrated' in res['threshold_rule'] and res['calibration'] is None and 'NOT calibrated' in text
    )
    assert {'zs_acc', 'oracle_fg_acc', 'groups_s1'} <= set(res['diagnostics']['trained'])
    import pandas as pd

    log = pd.read_csv(run / 'metrics.csv').dropna(
        subset=['miou']
    )  # eval_every=1: an mIoU after each of the 2 steps
    assert list(log.step) == [1, 2] and log.miou.between(0, 100).all(), log
    assert log.zs_acc.between(0, 1).all() and log.groups_s1.ge(1).all(), (
        log
    )  # diagnostics logged with the mIoU
    # the curve's last point is the final model on the same images and protocol as the results table
    assert log.miou.iloc[-1] == pytest.approx(100 * res['miou']['trained'], abs=1e-6)
    assert (run / 'ckpt-0000002.pt').exists() and (run / 'metrics.csv').exists()

    t = time.time()
    nb = run_driver(
        'eval.ipynb',
        str(tmp_path / 'eval-out.ipynb'),
        dict(
            checkpoint=str(run),
            dataset='voc,voc20',
            data_root=str(voc),
            protocol='quick',
            limit=2,
            device='cpu',
            n_show=2,
            results=str(tmp_path / 'results'),
        ),
    )
    t_eval = time.time() - t
    ev = json.loads((run / 'eval-ckpt-0000002-voc-quick.json').read_text())
    # the same checkpoint, images and protocol as train.ipynb's evaluation: the same numbers
    assert ev['miou'] == pytest.approx(res['miou']['trained'], abs=1e-9) and ev['n_images'] == 2
    assert ev['all_background_miou'] == pytest.approx(res['miou']['all_background'], abs=1e-9)
    assert {
        'eval-run-ckpt-0000002-voc-confusion.png',
        'eval-run-ckpt-0000002-voc-predictions.png',
        'eval-run-ckpt-0000002-voc-groups.png',
        'eval-run-ckpt-0000002-voc20-confusion.png',
    } <= {p.name for p in (tmp_path / 'figures').glob('*.png')}
    # the results table: one row (the checkpoint), one column per dataset and the average, as CSV and Markdown
    import pandas as pd

    table = pd.read_csv(tmp_path / 'results.csv', index_col=0)
    assert list(table.columns) == ['voc', 'voc20', 'avg', 'background', 'precision', 'protocol'], table
    assert list(table.index) == ['run-ckpt-0000002'] and (table.precision == 'fp32').all(), table
    assert (table.protocol == 'quick').all()
    assert table.loc['run-ckpt-0000002', 'voc'] == pytest.approx(100 * res['miou']['trained'], abs=0.01)
    assert "protocol `quick`" in (tmp_path / 'results.md').read_text()
    shown = [
        o['data'].get('text/plain', '')
        for c in nb.cells
        for o in c.get('outputs', [])
        if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})
    ]
    assert sum(t.startswith('ConfusionExplorer(') for t in shown) == 1, shown
    print(f"papermill train.ipynb {t_train:.1f}s, eval.ipynb {t_eval:.1f}s")


def test_bench(tmp_path, monkeypatch):
    "bench.ipynb on the CPU: both sources timed, one CSV row each, with the command that reproduces them."
    import pandas as pd
    from ovs_nb.data import write_shards

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=2, per_shard=8, size=32)
    run_driver(
        'bench.ipynb',
        str(tmp_path / 'bench-out.ipynb'),
        dict(
            preset='groupvit-tiny', batch=4, size=32, steps=2, warmup=1, device='cpu', workers=1, data=shards
        ),
    )
    t = pd.read_csv(tmp_path / 'figures' / 'bench-train.csv')
    assert list(t.source) == ['random', 'shards'] and (t.img_s > 0).all() and (t.batch == 4).all(), t
    assert t.command[0].startswith(
        'papermill nbs/bench.ipynb out.ipynb -p method groupvit -p preset groupvit-tiny'
    ), t.command[0]
    assert (t.precision == 'fp32').all() and t.device_name[0].startswith('cpu')
    res = yaml.safe_load(
        (tmp_path / 'figures' / 'results' / 'bench-train.yaml').read_text()
    )  # the same rows, as data
    assert [r['source'] for r in res['Results']] == ['random', 'shards'] and res['Command'] == t.command[1], (
        res
    )
    assert all(r['commit'] and r['machine'] and r['date'] for r in res['Results'])


def test_train_mixreorg(tmp_path, monkeypatch):
    "`-p method mixreorg`: the same driver trains MixReorg (all five loss terms logged) and shows its mixed-patch viewer."
    import pandas as pd
    from ovs_nb.data import write_shards
    from ovs_nb.segdata import write_voc_fixture

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=4, per_shard=8, size=32)
    voc = write_voc_fixture(tmp_path / 'voc', n=2, size=(48, 64))
    run = tmp_path / 'run'
    nb = run_driver(
        'train.ipynb',
        str(tmp_path / 'train-out.ipynb'),
        tiny_train(
            shards,
            method='mixreorg',
            preset='mixreorg-tiny',
            out_dir=str(run),
            eval_limit=2,
            eval_dataset='voc',
            eval_root=str(voc),
            n_show=1,
            train_kwargs=dict(scale_lr=False, warmup_steps=1, ckpt_every=1, keep_ckpts=2),
        ),
    )
    res = json.loads((run / 'results.json').read_text())
    assert (
        res['train']['method'] == 'mixreorg'
        and res['step'] == 2
        and set(res['miou']) == {'trained', 'random_init', 'all_background'}
    )
    log = pd.read_csv(run / 'metrics.csv')
    assert {'loss_ori_it', 'loss_ori_ml', 'loss_re_it', 'loss_re_ml', 'loss_seg'} <= set(log.columns), (
        log.columns
    )
    assert 'train-run-view.png' in {p.name for p in (tmp_path / 'figures').glob('*.png')}
    assert 'has no views of its own' not in _text(nb)
    shown = [
        o['data'].get('text/plain', '')
        for c in nb.cells
        for o in c.get('outputs', [])
        if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})
    ]
    assert (
        sum(t.startswith('MixViewer(') for t in shown) == 1
        and sum(t.startswith('GroupViewer(') for t in shown) == 1
    ), shown
    # the checkpoint says what it holds: eval.ipynb needs no `-p method mixreorg`; SimCon's test-time augmentation
    # is an option of any GroupViT-family segmenter
    run_driver(
        'eval.ipynb',
        str(tmp_path / 'eval-out.ipynb'),
        dict(
            checkpoint=str(run),
            dataset='voc',
            data_root=str(voc),
            limit=1,
            device='cpu',
            results=str(tmp_path / 'res'),
            n_show=1,
            explore=False,
            show_widget=False,
            short_side=32,
            crop=32,
            stride=16,
            segmenter_kw=dict(tta=dict(scales=[1.0, 0.5])),
        ),
    )
    assert pd.read_csv(tmp_path / 'res.csv', index_col=0).index.tolist() == ['run-ckpt-0000002-tta']


def test_proving_ground(tmp_path, monkeypatch):
    "The proving ground end to end with tiny settings: 2 methods x 1 seed, scored on the level trained on and the standard one."
    import pandas as pd
    from ovs_nb.data import write_shards

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=4, per_shard=8, size=32)
    tiny = tiny_train(shards, scenes_level='easy', calib_limit=3, n_show=1)
    csv = tmp_path / 'pg.csv'
    params = dict(
        methods='groupvit,mixreorg',
        seeds='0',
        recipe=None,
        eval_limit=3,
        standard_limit=2,
        diag_limit=2,
        out_root=str(tmp_path / 'pg'),
        csv=str(csv),
        train_params=tiny,
    )
    nb = run_driver('proving_ground.ipynb', str(tmp_path / 'pg-out.ipynb'), params)
    t = pd.read_csv(csv)
    need = {
        'method',
        'preset',
        'seed',
        'steps',
        'train_minutes',
        'miou',
        'miou_low',
        'miou_high',
        'miou_random_init',
        'miou_all_background',
        'protocol',
        'n_images',
        'miou_standard',
    }
    assert need <= set(t.columns), t.columns
    assert list(t.method) == ['groupvit', 'mixreorg'] and (t.steps == 2).all() and (t.n_images == 3).all(), t
    assert (t.miou_low <= t.miou_high).all() and t.level.eq('easy').all() and t.protocol.eq('quick').all()
    text = _text(nb)
    assert 'MixReorg - GroupViT (seeds pooled per image)' in text and 'over 1 seeds' in text, text[-2000:]
    assert (tmp_path / 'figures' / 'proving-ground.png').exists() and (
        tmp_path / 'figures' / 'proving-ground-bars.png'
    ).exists()
    md = (tmp_path / 'pg.md').read_text()  # the table the README quotes
    from ovs_nb.experiment import paper_claims

    gain, words = paper_claims()['mixreorg']  # figures/results/paper-claims.yaml
    assert (
        '| **MixReorg** (1 seeds) |' in md and f'{gain:+.1f}: {words}' in md and '| all background |' in md
    ), md
    runs = yaml.safe_load(
        (tmp_path / 'figures' / 'results' / 'proving-ground.yaml').read_text()
    )  # the rows, as data
    assert [r['method'] for r in runs['Results']] == ['groupvit', 'mixreorg'] and runs['Command'].startswith(
        'papermill nbs/proving_ground.ipynb out.ipynb -p methods groupvit,mixreorg'
    ), runs['Command']
    summary = yaml.safe_load((tmp_path / 'figures' / 'results' / 'proving-ground-summary.yaml').read_text())
    assert summary['Results'][1]['method'] == 'mixreorg' and 'minus_groupvit_low' in summary['Results'][1], (
        summary
    )
    assert (
        tmp_path / 'pg' / 'figures' / 'train-groupvit-s0-groups.png'
    ).exists()  # run figures stay in the run folder
    assert 'proving-ground-mixreorg-view.png' in {p.name for p in (tmp_path / 'figures').glob('*.png')}
    # a second call reuses the finished runs instead of training again
    nb = run_driver('proving_ground.ipynb', str(tmp_path / 'pg-out2.ipynb'), params | dict(standard_limit=0))
    assert _text(nb).count('finished earlier, reusing') == 2
    # `-p notebooks True`: each run executes train.ipynb and keeps it as the run's record
    run_driver(
        'proving_ground.ipynb',
        str(tmp_path / 'pg-out3.ipynb'),
        dict(
            methods='groupvit',
            seeds='0',
            recipe=None,
            eval_limit=3,
            standard_limit=0,
            diag_limit=2,
            out_root=str(tmp_path / 'pg-nb'),
            out_name='pg-nb',
            notebooks=True,
            train_params=tiny,
        ),
    )
    record = nbformat.read(tmp_path / 'pg-nb' / 'groupvit-s0' / 'train.ipynb', as_version=4)
    res = json.loads((tmp_path / 'pg-nb' / 'groupvit-s0' / 'results.json').read_text())
    assert f"mIoU trained {100 * res['miou']['trained']:.2f}%" in _text(record)


def test_gpu_figures(tmp_path, monkeypatch):
    "gpu_figures.ipynb on the CPU, tiny and eager: every figure is rows of the CSV, finite where a CPU measures it."
    import pandas as pd
    from ovs_nb.data import write_shards

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=2, per_shard=8, size=32)
    csv = tmp_path / 'gpu-figures.csv'
    t0 = time.time()
    run_driver(
        'gpu_figures.ipynb',
        str(tmp_path / 'gpu-out.ipynb'),
        dict(
            device='cpu',
            proving='groupvit',
            proving_params=dict(
                eval_limit=3,
                standard_limit=0,
                diag_limit=2,
                train_params=tiny_train(shards, scenes_level='easy', calib_limit=3, n_show=1),
            ),
            presets='groupvit-tiny,mixreorg-tiny',
            clip_presets='gcl:gcl-cpu',
            clip_batch=2,
            clip_tower='tiny-test',
            batch=2,
            size=32,
            steps=1,
            warmup=1,
            modes='eager',
            workers=1,
            data=shards,
            eval_model='random:groupvit-tiny',
            eval_protocol='quick',
            eval_images=2,
            eval_size='96x72',
            eval_batch=1,
            eval_window_batch=4,
            eval_workers=0,
            agree_images=2,
            out=str(csv),
            notebooks=str(tmp_path / 'runs'),
        ),
    )
    t = pd.read_csv(csv)
    # the GPU proving ground, run first with the `gpu` recipe and tiny settings: a mIoU and its trivial rows
    pg = t[t.figure.str.startswith('proving_')].set_index('figure')
    assert sorted(pg.index) == sorted(
        ['proving_miou', 'proving_miou_random_init', 'proving_miou_all_background']
    )
    assert pg.value.between(0, 100).all() and (pg.method == 'groupvit').all() and (pg.steps == 2).all(), pg
    assert pg.command.str.contains("-p recipe gpu").all() and pg.note.str.contains('six-methods-gpu.md').all()
    assert (tmp_path / 'figures' / 'six-methods-gpu.md').exists()
    t_all, t = t, t[~t.figure.str.startswith('proving_')].reset_index(drop=True)
    assert {
        'figure',
        'value',
        'unit',
        'command',
        'device',
        'torch',
        'date',
        'preset',
        'precision',
        'compile',
        'source',
        'batch',
        'size',
        'n_images',
        'note',
    } <= set(t.columns), t.columns
    assert t.device.str.startswith('cpu').all() and t.command.notna().all() and (t.run == t.run[0]).all()
    train = t[t.figure.str.startswith('train_')]
    # 2 presets x 2 sources x 4 figures, and GCL's head from random input only, each from one bench.ipynb run whose
    # command reproduces it
    assert len(train) == 20 and set(zip(train.preset, train.source)) == {
        (p, s) for p in ('groupvit-tiny', 'mixreorg-tiny') for s in ('random', 'shards')
    } | {('gcl-cpu', 'random')}, train
    assert train.command.str.startswith('papermill nbs/bench.ipynb out.ipynb -p method ').all()
    assert (
        (~train.compile.astype(bool)).all() and (train.batch == 2).all() and (train.precision == 'fp32').all()
    )
    assert (train[train.preset == 'gcl-cpu'].method == 'gcl').all()
    timed = train[train.figure.isin(['train_images_per_s', 'train_step_ms'])]
    assert timed.value.gt(0).all() and train[train.figure == 'train_data_wait'].value.between(0, 100).all(), (
        train
    )
    mem = t[t.figure.isin(['train_peak_memory', 'eval_peak_memory'])]
    assert len(mem) == 7 and mem.value.isna().all() and mem.note.str.contains('CUDA only').all(), (
        mem
    )  # never made up
    ev = t[t.figure.str.startswith('eval_')].set_index(['figure', 'precision']).value
    for prec in ('bf16', 'fp32'):
        assert ev['eval_images_per_s', prec] > 0 and 0 <= ev['eval_miou', prec] <= 100
        assert 0 <= ev['eval_pixel_agreement', prec] <= 100
    assert (t[t.figure.str.startswith('eval_')].n_images == 2).all() and (
        t[t.figure == 'eval_miou']['size'] == '96x72'
    ).all()
    assert t[t.figure == 'driver_wall_time'].value.gt(0).all()
    res = yaml.safe_load(
        (tmp_path / 'figures' / 'results' / 'gpu-figures.yaml').read_text()
    )  # the same rows, as data
    assert len(res['Results']) == len(t_all) and res['Command'] == t.driver_command[0], res['Command']
    assert sorted(p.name for p in (tmp_path / 'runs').glob('*.ipynb')) == [
        'bench-gcl-cpu-eager.ipynb',
        'bench-groupvit-tiny-eager.ipynb',
        'bench-mixreorg-tiny-eager.ipynb',
        'proving-ground.ipynb',  # the GPU proving ground's executed record
    ]
    print(f"papermill gpu_figures.ipynb {time.time() - t0:.1f}s")


@pytest.mark.parametrize('method,preset', [('mvsimcon', 'simcon-tiny'), ('pgseg', 'pgseg-tiny')])
def test_train_simcon_pgseg(tmp_path, monkeypatch, method, preset):
    "`-p method mvsimcon` and `-p method pgseg`: the same driver trains them, scores them and shows their own viewer."
    from ovs_nb.data import write_shards

    sandbox(tmp_path, monkeypatch)
    shards = write_shards(tmp_path / 'shards', n_shards=4, per_shard=8, size=32)
    run = tmp_path / 'run'
    nb = run_driver(
        'train.ipynb',
        str(tmp_path / 'train-out.ipynb'),
        tiny_train(
            shards, method=method, preset=preset, out_dir=str(run), eval_limit=2, calib_limit=2, n_show=1
        ),
    )
    res = json.loads((run / 'results.json').read_text())
    assert res['train']['method'] == method and res['step'] == 2, res['train']
    assert 'train-run-view.png' in {p.name for p in (tmp_path / 'figures').glob('*.png')}
    assert 'has no views of its own' not in _text(nb)


def _release_files(tmp_path) -> dict:
    """Synthetic released checkpoints in the official layouts, tiny: NVlabs' GroupViT file (its config pickled from a
    package that is not installed) and TCL's tcl.pth (the copied last block under the tower's last index)."""
    import sys, types, torch
    from ovs_nb.groupvit import official_key_shapes
    from ovs_nb.methods.gcl import GCL_METHOD, official_tcl_key

    g = torch.Generator().manual_seed(0)
    gv = {
        k: torch.randn(s, generator=g) if len(s) else torch.tensor(2.0)
        for k, s in official_key_shapes('groupvit-tiny').items()
    }
    gv = {k: v.long() if 'num_batches' in k else v.abs() if 'running_var' in k else v for k, v in gv.items()}
    cfg = types.ModuleType('absent_omegaconf_for_drivers')
    exec("class DictConfig:\n    def __init__(self, d): self._content = d\n", cfg.__dict__)
    sys.modules[cfg.__name__] = cfg
    try:
        torch.save(
            {
                'model': {'module.' + k: v for k, v in gv.items()},
                'epoch': 29,
                'config': cfg.DictConfig({'model': 'MultiLabelContrastive'}),
            },
            tmp_path / 'group_vit_release.pth',
        )
    finally:
        del sys.modules[cfg.__name__]
    torch.manual_seed(0)
    gcl = GCL_METHOD.build('gcl-b16', clip_name='tiny-test', clip_weights='random')
    last = len(gcl.clip.visual.transformer.resblocks) - 1
    sd = {official_tcl_key(k, last): v for k, v in gcl.state_dict().items() if official_tcl_key(k, last)}
    assert any(f'.resblocks.{last}.' in k for k in sd), sorted(sd)[:5]
    torch.save({'model': sd}, tmp_path / 'tcl.pth')
    return dict(groupvit=tmp_path / 'group_vit_release.pth', gcl=tmp_path / 'tcl.pth')


@pytest.mark.parametrize(
    'method,protocol,model_kw,spec',
    [
        ('groupvit', 'groupvit', dict(preset='groupvit-tiny'), 'official:{path}'),
        ('gcl', 'tcl', dict(clip_name='tiny-test', clip_weights='random'), 'official:gcl:{path}'),
    ],
)
def test_eval_official(tmp_path, monkeypatch, method, protocol, model_kw, spec):
    "The README's `-p checkpoint official:[<method>:]<file>` commands on synthetic released files (tiny models)."
    from ovs_nb.segdata import write_voc_fixture

    sandbox(tmp_path, monkeypatch)
    files = _release_files(tmp_path)
    voc = write_voc_fixture(tmp_path / 'voc', n=2, size=(48, 64))
    run_driver(
        'eval.ipynb',
        str(tmp_path / 'eval-out.ipynb'),
        dict(
            method=None if spec.startswith('official:gcl') else method,
            checkpoint=spec.format(path=files[method]),
            model_kw=model_kw,
            dataset='voc',
            data_root=str(voc),
            protocol=protocol,
            limit=2,
            device='cpu',
            n_show=1,
            show_widget=False,
            results=str(tmp_path / 'results'),
        ),
    )
    import pandas as pd

    table = pd.read_csv(tmp_path / 'results.csv', index_col=0)
    row = f'{method}-official-{files[method].stem}'
    assert row in table.index and 0 <= table.loc[row, 'voc'] <= 100 and (table.protocol == protocol).all(), (
        table
    )
