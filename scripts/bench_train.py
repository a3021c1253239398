#!/usr/bin/env python
"""Training throughput of an ovs_nb method: images per second over full optimiser steps (forward, backward,
gradient clipping, AdamW), measured with the engine's own `Trainer.train_step`

* from random tensors already on the device (the model's speed), and
* from the shard pipeline on the embedded scenes (what the DataLoader sustains; generated on first use).

    python scripts/bench_train.py --preset groupvit-s --batch 256 --size 224 [--compile]
    python scripts/bench_train.py --preset groupvit-tiny --batch 8 --steps 2 --device cpu     # CPU smoke test

Prints a table and appends one row per source to bench/train_throughput.csv (command line, GPU, torch version).
"""
from __future__ import annotations
import argparse, ast, csv, datetime, os, platform, shlex, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing

COLUMNS = ['date', 'command', 'device_name', 'torch', 'method', 'preset', 'batch', 'size', 'precision', 'compile',
           'source', 'workers', 'warmup', 'steps', 'img_s', 'step_ms', 'data_wait_pct', 'peak_mem_gb']


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--method', default='groupvit')
    p.add_argument('--preset', default='groupvit-s')
    p.add_argument('--overrides', default='{}', help="model config overrides, a Python dict literal")
    p.add_argument('--batch', type=int, default=256, help='images per optimiser step')
    p.add_argument('--size', type=int, default=224, help='image side in pixels')
    p.add_argument('--steps', type=int, default=20, help='timed steps per source')
    p.add_argument('--warmup', type=int, default=None, help='untimed steps first (default 3, 10 with --compile)')
    p.add_argument('--precision', default='auto', choices=['auto', 'bf16', 'fp16', 'fp32'], help="auto: bf16 on CUDA, fp32 on CPU")
    p.add_argument('--compile', action='store_true', help='torch.compile the model')
    p.add_argument('--device', default='auto')
    p.add_argument('--source', default='both', choices=['random', 'shards', 'both'])
    p.add_argument('--workers', type=int, default=None, help='DataLoader workers for the shard source (default: the engine\'s)')
    p.add_argument('--data', default=None, help='shard URLs instead of the embedded scenes')
    p.add_argument('--out', default=None, help='CSV to append to (default <repo>/bench/train_throughput.csv)')
    return p.parse_args(argv)


def random_batch(batch: int, size: int, k_prompts: int, device, seed: int = 0) -> dict:
    "A batch shaped like the pipeline's: random images, caption-length token ids, K prompts per image."
    import torch
    from ovs_nb.text import tokenize
    g = torch.Generator().manual_seed(seed)
    words = 'a photo of the dog cat car tree boat bird house chair red small big on in with near street table'.split()
    rnd = lambda n: ' '.join(words[int(i)] for i in torch.randint(len(words), (n,), generator=g))
    caps = [rnd(int(torch.randint(6, 25, (1,), generator=g))) for _ in range(batch)]
    out = dict(image=torch.randn(batch, 3, size, size, generator=g), text=tokenize(caps), caption=caps)
    if k_prompts: out['prompts'] = tokenize([f'a photo of a {rnd(1)}.' for _ in range(batch * k_prompts)]).view(batch, k_prompts, -1)
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in out.items()}


def sync(device):
    import torch
    if device.type == 'cuda': torch.cuda.synchronize(device)


def timed(trainer, next_batches, warmup: int, steps: int) -> dict:
    "Run `warmup` then `steps` optimiser steps; images/s, ms per step, % of the time spent waiting for data."
    import torch
    for _ in range(warmup): trainer.train_step(next_batches())
    dev = trainer.device
    sync(dev)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    wait, t0 = 0., time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter(); b = next_batches(); wait += time.perf_counter() - t
        trainer.train_step(b)                       # ends with a host sync (the all-reduced loss)
    sync(dev)
    dt = time.perf_counter() - t0
    return dict(img_s=round(steps * trainer.cfg.batch_size / dt, 1), step_ms=round(1000 * dt / steps, 1),
                data_wait_pct=round(100 * wait / dt, 1),
                peak_mem_gb=round(torch.cuda.max_memory_allocated(dev) / 2**30, 2) if dev.type == 'cuda' else '')


def main(argv=None):
    args = parse_args(argv)
    import torch
    from ovs_nb.core import project_root
    from ovs_nb.train import Trainer, TrainConfig
    warmup = args.warmup if args.warmup is not None else (10 if args.compile else 3)
    total = warmup + args.steps
    tmp = tempfile.TemporaryDirectory()
    cfg = TrainConfig(method=args.method, preset=args.preset, overrides=ast.literal_eval(args.overrides), data=args.data,
                      batch_size=args.batch, image_size=args.size, steps=total, precision=args.precision, compile=args.compile,
                      device=args.device, num_workers=args.workers, progress=False, figure=False, out_dir=tmp.name,
                      max_train_samples=max(50_000, total * args.batch))
    tr = Trainer(cfg)
    dev = tr.device
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)'
    params = sum(p.numel() for p in tr.model.parameters()) / 1e6
    print(f"{args.method} {tr.cfg.preset} ({params:.1f}M parameters) on {name}, torch {torch.__version__}: batch {args.batch}, "
          f"{args.size} px, {tr.precision}{', compiled' if args.compile else ''}; {warmup} warm-up + {args.steps} timed steps")
    rows = []
    base = dict(date=datetime.datetime.now().isoformat(timespec='seconds'),
                command=' '.join(shlex.quote(a) for a in [Path(sys.argv[0]).name] + (sys.argv[1:] if argv is None else list(argv))),
                device_name=name, torch=torch.__version__, method=args.method, preset=tr.cfg.preset, batch=args.batch,
                size=args.size, precision=tr.precision, compile=args.compile, warmup=warmup, steps=args.steps)
    if args.source in ('random', 'both'):
        b = random_batch(args.batch, args.size, tr.cfg.k_prompts, dev)
        rows.append(dict(base, source='random', workers='', **timed(tr, lambda: [b], warmup, args.steps)))
        print(f"  random: {rows[-1]['img_s']} img/s")
    if args.source in ('shards', 'both'):
        loader, pipe = tr.make_loader()            # the embedded scenes (generated if missing) unless --data
        pipe.set_epoch(0)
        it = iter(loader)
        rows.append(dict(base, source='shards', workers=tr.cfg.num_workers, **timed(tr, lambda: [next(it)], warmup, args.steps)))
        print(f"  shards: {rows[-1]['img_s']} img/s")
        del it
    print()
    print(f"{'source':<8} {'workers':>7} {'img/s':>9} {'ms/step':>9} {'data wait %':>11} {'peak GB':>8}")
    for r in rows:
        print(f"{r['source']:<8} {str(r['workers']):>7} {r['img_s']:>9} {r['step_ms']:>9} {r['data_wait_pct']:>11} {str(r['peak_mem_gb']):>8}")
    out = Path(args.out) if args.out else project_root()/'bench'/'train_throughput.csv'
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    with open(out, 'a', newline='') as f:
        w = csv.DictWriter(f, COLUMNS, extrasaction='ignore')
        if new: w.writeheader()
        w.writerows(rows)
    print(f"appended {len(rows)} row(s) to {out}")
    tmp.cleanup()
    return rows


if __name__ == '__main__':
    main()
