"""The viewers, live: the group viewer, MixReorg's mixed-patch viewer and the confusion explorer driven in a
real (headless) Chromium against a running JupyterLab, as a user meets them.

The numbered notebooks test the widgets' Python side and their static HTML export; this checks what the
browser draws. A JupyterLab server is started from this venv (its own python3 kernel spec, settings and
runtime folders in a temporary directory, a random token and port) on a copy of
`nbs/live/live_viewers.ipynb`, which builds the three viewers from tiny random models on the CPU. Selenium
opens the notebook, runs all cells, waits for the widgets to draw, then clicks: a click on a selector
(stage toggle, image or group dropdown, mixing-group slider, confusion cell dropdown, normalisation
toggle) must change the viewer's drawn part, and a click on a picture (the input image, a mixed-patch
panel, a heat map cell) must leave the whole viewer pixel for pixel as it was. Element screenshots before
and after the main click of each viewer are saved as `figures/live-<viewer>-{before,after}.png`.

Marked `browser` (run them with `pytest nbs/test_live_viewers.py -m browser`); conftest.py skips them,
saying what to install, without /usr/bin/chromium, /usr/bin/chromedriver or selenium. Selenium is told the
driver's path, so it never downloads one."""

import io, json, os, secrets, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

NBS = Path(__file__).resolve().parent
FIXTURE = NBS / 'live' / 'live_viewers.ipynb'
CHROMIUM, CHROMEDRIVER = '/usr/bin/chromium', '/usr/bin/chromedriver'
# seconds: the server's start, running the fixture (imports, three tiny models, scene generation on a first
# run), and a click's redraw; generous for a loaded two-core machine
SERVER_TIMEOUT, RUN_TIMEOUT, CLICK_TIMEOUT = 120, 600, 60
# the window, wide and tall enough that every viewer fits whole in the notebook's area: a picture wider than
# it would scroll sideways when clicked, and an element screenshot would be clipped
WINDOW = (2400, 2200)

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def jupyter_env(tmp: Path) -> dict:
    "Environment of a JupyterLab isolated in `tmp`: its python3 kernel (this interpreter), its settings."
    kernel = tmp / 'jupyter-data' / 'kernels' / 'python3'
    kernel.mkdir(parents=True)
    argv = [sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}']
    spec = dict(argv=argv, display_name='Python 3 (ovs_nb venv)', language='python')
    (kernel / 'kernel.json').write_text(json.dumps(spec))
    settings = {
        # no news or update toasts (they would cover part of the page, and there is no network)
        '@jupyterlab/apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False},
        # every cell stays rendered (no virtual scrolling of cells out of view)
        '@jupyterlab/notebook-extension/tracker': {'windowingMode': 'none'},
    }
    for name, value in settings.items():
        p = tmp / 'lab-settings' / f'{name}.jupyterlab-settings'
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(value))
    env = dict(os.environ)
    env.update(
        JUPYTER_PATH=str(tmp / 'jupyter-data'),
        JUPYTER_DATA_DIR=str(tmp / 'jupyter-data'),
        JUPYTER_CONFIG_DIR=str(tmp / 'jupyter-config'),
        JUPYTER_RUNTIME_DIR=str(tmp / 'jupyter-runtime'),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / 'lab-settings'),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / 'lab-workspaces'),
        IPYTHONDIR=str(tmp / 'ipython'),
        OMP_NUM_THREADS='1',
        MPLBACKEND='Agg',
        HF_HUB_OFFLINE='1',
    )
    return env


def fixture_copy(root: Path) -> Path:
    "The fixture notebook in `root`, with the kernel spec its committed (cleaned) copy leaves out."
    nb = json.loads(FIXTURE.read_text())
    nb['metadata']['kernelspec'] = dict(
        name='python3', display_name='Python 3 (ovs_nb venv)', language='python'
    )
    path = root / FIXTURE.name
    path.write_text(json.dumps(nb))
    return path


class Lab:
    "A JupyterLab server started from this venv on `root`; `url(path)` opens a page with the token."

    def __init__(self, tmp: Path, root: Path):
        self.port, self.token, self.log_path = free_port(), secrets.token_hex(16), tmp / 'jupyterlab.log'
        cmd = [
            sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ip=127.0.0.1',
            f'--port={self.port}', '--ServerApp.port_retries=0', f'--IdentityProvider.token={self.token}',
            f'--ServerApp.root_dir={root}', '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=None',
            '--LabApp.extension_manager=readonly',
            '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
        ]  # fmt: skip
        self.log = open(self.log_path, 'w')
        # its own session: the server and its kernel are ended together at teardown
        self.proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=jupyter_env(tmp),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + SERVER_TIMEOUT
        while not self.api('status', quiet=True):
            if self.proc.poll() is not None or time.time() > deadline:
                self.close()
                raise RuntimeError(f"JupyterLab did not start; its log ends:\n{self.log_tail()}")
            time.sleep(0.25)

    def url(self, path: str) -> str:
        return f'http://127.0.0.1:{self.port}/{path}?token={self.token}'

    def api(self, path: str, method: str = 'GET', quiet: bool = False):
        req = urllib.request.Request(f'http://127.0.0.1:{self.port}/api/{path}', method=method)
        req.add_header('Authorization', f'token {self.token}')
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read() or b'{}')
        except OSError:
            if quiet:
                return None
            raise

    def log_tail(self, n: int = 4000) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors='replace')[-n:]

    def close(self):
        "Shut the server down through its API (it stops its kernels), else end its process group."
        if self.proc.poll() is None:
            self.api('shutdown', 'POST', quiet=True)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(30)
        self.log.close()


def chromium(tmp: Path):
    "Headless Chromium through /usr/bin/chromedriver (named, so selenium never fetches a driver)."
    from selenium import webdriver  # optional: only the browser tests need selenium
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (
        '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
        '--hide-scrollbars', '--force-device-scale-factor=1', f'--window-size={WINDOW[0]},{WINDOW[1]}',
        f'--user-data-dir={tmp / "chromium-profile"}',
    ):  # fmt: skip
        opts.add_argument(a)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp / 'chromedriver.log'))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_script_timeout(RUN_TIMEOUT)
    return driver


# Run in the page: wait for the notebook and its kernel, run all cells (the Run menu's 'Run All Cells'
# command), resolve with whether every cell succeeded (`window.jupyterapp`: `expose_app_in_browser`).
RUN_ALL = """
const done = arguments[arguments.length - 1];
(async () => {
  const until = async (f) => { while (!f()) await new Promise(r => setTimeout(r, 100)); };
  await until(() => window.jupyterapp && window.jupyterapp.shell.currentWidget
                    && window.jupyterapp.shell.currentWidget.sessionContext);
  const app = window.jupyterapp, panel = app.shell.currentWidget;
  app.shell.collapseLeft(); app.shell.collapseRight();
  await panel.context.ready; await panel.sessionContext.ready;
  await until(() => panel.sessionContext.session && panel.sessionContext.session.kernel);
  const ok = await app.commands.execute('notebook:run-all-cells');
  return {ok: ok, kernel: panel.sessionContext.session.kernel.name};
})().then(done, e => done({error: String(e)}));
"""

# Run in the page on an element: wait until its pictures are decoded, then two animation frames (what a click
# changed is painted); resolve with whether there are pictures and all of them loaded.
SETTLE = """
const el = arguments[0], done = arguments[arguments.length - 1];
const ims = Array.from(el.querySelectorAll('img'));
Promise.all(ims.map(i => i.decode().catch(() => null))).then(() => requestAnimationFrame(() =>
  requestAnimationFrame(() => done(ims.length > 0 && ims.every(i => i.complete && i.naturalWidth > 0)))));
"""


def outputs_text(driver) -> str:
    return '\n'.join(e.text for e in driver.find_elements('css selector', '.jp-OutputArea-output'))


def images_loaded(el) -> bool:
    "Every picture under `el` is decoded and painted (and there is one)."
    return el.parent.execute_async_script(SETTLE, el)


def shot(el) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(el.screenshot_as_png)).convert('RGB'))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((a == b).all())


def where(a: np.ndarray, b: np.ndarray) -> str:
    "Where two screenshots differ, in words (for a failure's message)."
    if a.shape != b.shape:
        return f'sizes {a.shape[1::-1]} and {b.shape[1::-1]}'
    yx = np.argwhere((a != b).any(-1))
    (y0, x0), (y1, x1) = yx.min(0), yx.max(0)
    return f'{len(yx)} pixels differ, within x {x0}..{x1}, y {y0}..{y1} of {a.shape[1]}x{a.shape[0]}'


def settled(el) -> np.ndarray:
    "A screenshot of `el` once its pictures are decoded and painted."
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(el.parent, CLICK_TIMEOUT).until(lambda d: images_loaded(el), 'pictures did not load')
    return shot(el)


def rest_mouse(viewer):
    "Park the pointer on the viewer's title text, so no hover style differs between screenshots."
    from selenium.webdriver import ActionChains

    title = viewer.find_element('css selector', '.widget-html')
    ActionChains(viewer.parent).move_to_element(title).perform()


def check_inert(viewer, click):
    "`click()` on a picture must leave the whole viewer's screenshot unchanged."
    rest_mouse(viewer)
    before = settled(viewer)
    click()
    after = settled(viewer)
    assert same(after, before), f'a click on a picture changed what the viewer draws: {where(before, after)}'


def save_figure(im: np.ndarray, path: Path, max_width: int = 1200, max_kb: int = 400):
    """Save a viewer's screenshot for the docs: cropped to what it draws (the notebook's blank right of it
    left out), at most `max_width` wide, with a 256-colour palette where it would take more than `max_kb`
    (the mixed patches)."""
    ink = (im < 250).any(-1)
    ink[ink.mean(1) > 0.9] = False  # rules across the whole width (the output area's border) are not content
    ys, xs = np.nonzero(ink)
    fig = Image.fromarray(im[: ys.max() + 1, : xs.max() + 1])
    if fig.width > max_width:
        fig = fig.resize((max_width, round(fig.height * max_width / fig.width)), Image.LANCZOS)
    buf = io.BytesIO()
    fig.save(buf, 'png', optimize=True)
    if buf.tell() > max_kb * 1000:
        buf = io.BytesIO()
        fig.quantize(256).save(buf, 'png', optimize=True)
    path.write_bytes(buf.getvalue())


def check_redraws(viewer, region, click, done, save: str | None = None):
    """`click()` on a selector must change the screenshot of `region` (the drawn part) once `done(driver)`
    holds (the selector shows the new choice); with `save`, the viewer before and after goes to
    figures/live-<save>-{before,after}.png."""
    from selenium.webdriver.support.ui import WebDriverWait

    rest_mouse(viewer)
    before_region = settled(region)
    before = shot(viewer) if save else None
    click()
    WebDriverWait(viewer.parent, CLICK_TIMEOUT).until(done, 'the selector does not show the new choice')
    got = []  # the region's screenshot, once its new pictures are painted and it differs from before

    def redrawn(d):
        got[:] = [settled(region)]
        return not same(got[0], before_region)

    WebDriverWait(viewer.parent, CLICK_TIMEOUT).until(redrawn, 'the click left the drawn part as it was')
    if save:
        from ovs_nb.core import figures_dir

        rest_mouse(viewer)
        after = settled(viewer)
        for when, im in (('before', before), ('after', after)):
            save_figure(im, figures_dir() / f'live-{save}-{when}.png')


@pytest.fixture(scope='module')
def lab_page(tmp_path_factory):
    "JupyterLab with the fixture notebook open and run in Chromium: `(driver, seconds to run it, lab)`."
    tmp = tmp_path_factory.mktemp('live')
    root = tmp / 'root'
    root.mkdir()
    nb = fixture_copy(root)
    t0 = time.time()
    lab = Lab(tmp, root)
    driver = None
    try:
        driver = chromium(tmp)
        driver.get(lab.url(f'lab/tree/{nb.name}'))
        res = driver.execute_async_script(RUN_ALL)
        text = outputs_text(driver)
        assert isinstance(res, dict) and res.get('ok') is True, (
            f"running the fixture failed: {res}\noutputs:\n{text[-3000:]}\nserver log:\n{lab.log_tail()}"
        )
        assert res['kernel'] == 'python3' and f'kernel python: {sys.executable}' in text, text[:500]
        from selenium.webdriver.support.ui import WebDriverWait

        for cls in ('live-group-viewer', 'live-mix-viewer', 'live-confusion'):
            WebDriverWait(driver, CLICK_TIMEOUT).until(
                lambda d: (
                    d.find_elements('css selector', f'.{cls}')
                    and images_loaded(d.find_element('css selector', f'.{cls}'))
                ),
                f'the viewer .{cls} was not drawn',
            )
        assert 'live viewers: all built' in outputs_text(driver)
        yield driver, time.time() - t0, lab
    finally:
        if driver is not None:
            driver.quit()
        lab.close()


def viewer_of(driver, cls: str):
    el = driver.find_element('css selector', f'.{cls}')
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", el)
    return el


def button(viewer, text: str):
    return next(b for b in viewer.find_elements('css selector', 'button') if b.text.strip().startswith(text))


def dropdown(viewer, label: str):
    "The `<select>` of the dropdown described `label`."
    from selenium.webdriver.support.ui import Select

    for w in viewer.find_elements('css selector', '.widget-dropdown'):
        if w.find_element('css selector', 'label').text.strip() == label:
            return Select(w.find_element('css selector', 'select'))
    raise LookupError(f'no dropdown {label!r}')


def test_group_viewer(lab_page):
    "The picture is inert; the stage toggle (stage 2 -> 1), the image and group dropdowns redraw the groups."
    driver, secs, _ = lab_page
    print(f'JupyterLab up, fixture run and all three viewers drawn in {secs:.0f}s')
    v = viewer_of(driver, 'live-group-viewer')
    drawn = v.find_element('css selector', '.live-drawn')
    picture = drawn.find_element('css selector', 'img')  # the input image, left of the stages
    check_inert(v, picture.click)
    stage1 = button(v, 'stage 1')
    check_redraws(
        v, drawn, stage1.click, lambda d: 'mod-active' in stage1.get_attribute('class'), save='group-viewer'
    )
    image = dropdown(v, 'image')
    second = image.options[1].text
    check_redraws(
        v, drawn, lambda: image.select_by_index(1), lambda d: image.first_selected_option.text == second
    )
    group = dropdown(v, 'group')  # the visible stage's (stage 1 of the second image): one group alone
    check_redraws(
        v,
        drawn,
        lambda: group.select_by_index(1),
        lambda d: group.first_selected_option.text.startswith('group'),
    )


def test_mix_viewer(lab_page):
    "MixReorg's viewer (`get_method('mixreorg').views`): a panel is inert, the group slider redraws."
    from selenium.webdriver import ActionChains

    driver = lab_page[0]
    v = viewer_of(driver, 'live-mix-viewer')
    drawn = v.find_element('css selector', '.live-drawn')
    check_inert(v, drawn.find_element('css selector', 'img').click)
    slider = next(
        s for s in v.find_elements('css selector', '.widget-hslider')
        if s.find_element('css selector', 'label').text.strip() == 'group'
    )  # fmt: skip
    track, readout = (
        slider.find_element('css selector', '.noUi-target'),
        slider.find_element('css selector', '.widget-readout'),
    )
    first = readout.text.strip()  # '1 of 2': 16 training pairs in mixing groups of M=8
    # a click near the track's right end (the slider's 'drag-tap' behaviour moves the handle there)
    tap = lambda: (
        ActionChains(driver)
        .move_to_element_with_offset(track, track.size['width'] // 2 - 2, 0)
        .click()
        .perform()
    )
    check_redraws(v, drawn, tap, lambda d: readout.text.strip() != first, save='mix-viewer')


def test_confusion_explorer(lab_page):
    "A heat map cell is inert (a picture); the cell dropdown and the normalise toggle redraw."
    from selenium.webdriver import ActionChains

    driver = lab_page[0]
    v = viewer_of(driver, 'live-confusion')
    heat = v.find_element('css selector', '.live-heatmap img')
    cell_click = lambda: ActionChains(driver).move_to_element_with_offset(heat, 10, 10).click().perform()
    check_inert(v, cell_click)
    cell = dropdown(v, 'cell')
    want = cell.options[3].text
    check_redraws(
        v, v.find_element('css selector', '.live-cell-view'), lambda: cell.select_by_index(3),
        lambda d: cell.first_selected_option.text == want, save='confusion',
    )  # fmt: skip
    column = button(v, 'column')
    check_redraws(
        v, v.find_element('css selector', '.live-heatmap'), column.click,
        lambda d: 'mod-active' in column.get_attribute('class'),
    )  # fmt: skip
