"""pytest runs every numbered notebook in nbs/ exactly as `nbdev_test` does (nbdev's own `test_nb`, skipping cells
flagged with settings.ini's `tst_flags`), one test item per notebook, so CI logs end with a counted summary.
Driver notebooks (train.ipynb, eval.ipynb, ...) are run by papermill, not here."""

import os, re
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')  # never wait on a hub: ovs_nb only loads weights from disk
os.environ.setdefault('IN_TEST', '1')

# browser tests (test_live_viewers.py) drive JupyterLab in Chromium through selenium; skipped without them
BROWSER_NEEDS = {
    '/usr/bin/chromium': 'apt-get install chromium',
    '/usr/bin/chromedriver': 'apt-get install chromium-driver',
}


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'browser: drives JupyterLab in a real (headless) Chromium; run with -m browser'
    )


def pytest_collection_modifyitems(config, items):
    "Skip `browser` tests, saying what to install, where Chromium, its driver or selenium is missing."
    missing = [f'{p} ({how})' for p, how in BROWSER_NEEDS.items() if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401  (optional: only the browser tests need it)
    except ImportError:
        missing.append('selenium (pip install selenium)')
    if not missing:
        return
    skip = pytest.mark.skip(reason='browser test: missing ' + ', '.join(missing))
    for item in items:
        if 'browser' in item.keywords:
            item.add_marker(skip)


def pytest_collect_file(parent, file_path):
    if file_path.suffix == '.ipynb' and re.match(r'\d\d_', file_path.name):
        return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name=self.path.stem)


class NotebookItem(pytest.Item):
    def runtest(self):
        from nbdev.test import test_nb
        from nbdev.config import get_config

        flags = [
            f for f in re.split(r'[|\s]+', get_config().get('tst_flags', 'notest')) if f
        ]  # nbdev splits on spaces
        ok, secs = test_nb(self.path, skip_flags=flags, showerr=True)
        if not ok:
            raise NotebookFailed(self.path.name)
        self.user_properties.append(('seconds', round(secs, 1)))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, NotebookFailed):
            return f"notebook {excinfo.value} failed; the failing cell and traceback are in the captured stderr below"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"


class NotebookFailed(Exception):
    pass
