"""The front door is generated, and its numbers are data.

README.md is written from nbs/index.ipynb (`.venv/bin/python nbs/build_docs.py readme`), whose code cells render
the tables from the results files in figures/results/ (`ovs_nb.results`). These tests fail when a table in the
README is not what those cells render from the files now (a number typed by hand, or a results file changed
without rebuilding the README), when the README grows past a page or two, when it cites the project's private
notes, and when a results row does not say which command, commit, date and machine produced it."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / 'README.md'
INDEX = ROOT / 'nbs' / 'index.ipynb'
MAX_LINES = 150


def split_row(line: str) -> list[str]:
    "The cells of a Markdown table row, stripped, whitespace collapsed (escaped pipes stay inside their cell)."
    inner = line.strip()[1:-1] if line.strip().endswith('|') else line.strip()[1:]
    return [re.sub(r'\s+', ' ', c).strip() for c in re.split(r'(?<!\\)\|', inner)]


def tables(text: str) -> list[list[list[str]]]:
    "Every pipe table in Markdown `text`: a list of rows of cells, the header first, the |---| line left out."
    found, current = [], []
    for line in text.splitlines() + ['']:
        if line.lstrip().startswith('|'):
            if not re.fullmatch(r'\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*', line.strip()):
                current.append(split_row(line))
        elif current:
            found.append(current)
            current = []
    return found


def markdown_outputs(nb) -> list[str]:
    return [
        ''.join(o['data']['text/markdown'])
        for c in nb['cells']
        for o in c.get('outputs', [])
        if 'text/markdown' in o.get('data', {})
    ]


@pytest.fixture(scope='module')
def fresh_tables():
    "The tables index.ipynb's code cells render from the results files now (run as nbdev_test runs a notebook)."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell

    nb = read_nb(INDEX)
    CaptureShell(path=INDEX.parent).run_all(nb, exc_stop=True)
    return [t for md in markdown_outputs(nb) for t in tables(md)]


def test_readme_tables_are_what_the_results_render(fresh_tables):
    index = json.loads(INDEX.read_text())
    typed = [t for c in index['cells'] if c['cell_type'] == 'markdown' for t in tables(''.join(c['source']))]
    readme = tables(README.read_text())
    assert fresh_tables, 'index.ipynb rendered no table'
    for t in readme:
        assert t in fresh_tables or t in typed, (
            f'README.md has a table that the results files do not render now (header {t[0]}): '
            'rebuild it with `.venv/bin/python nbs/build_docs.py readme`, or put the numbers in a results file'
        )
    for t in fresh_tables:
        assert t in readme, (
            f'index.ipynb renders a table missing from README.md (header {t[0]}): rebuild the README'
        )


def test_index_outputs_are_current(fresh_tables):
    "The outputs committed in index.ipynb (what the docs site shows) are the tables the files render now."
    saved = [t for md in markdown_outputs(json.loads(INDEX.read_text())) for t in tables(md)]
    assert saved == fresh_tables, (
        'nbs/index.ipynb holds stale outputs: run `.venv/bin/python nbs/build_docs.py readme`'
    )


def test_readme_is_short():
    n = len(README.read_text().splitlines())
    assert n <= MAX_LINES, (
        f'README.md has {n} lines (at most {MAX_LINES}): the detail belongs in the notebooks'
    )


def test_readme_cites_no_private_notes():
    text = README.read_text()
    for pattern in (r'shared/', r'spec\s*§'):
        found = re.findall(rf'.{{0,40}}{pattern}.{{0,40}}', text)
        assert not found, (
            f'README.md cites {pattern!r}: cite the paper or the official code instead ({found[:3]})'
        )


def test_every_result_row_has_provenance():
    from ovs_nb.results import check_results, list_results

    names = list_results()
    assert names, 'no results files in figures/results/'
    problems = {n: p for n in names if (p := check_results(n))}
    assert not problems, f'results rows without a command, commit, date or machine: {problems}'


def test_tables_parser():
    md = '| a | b \\| c |\n|---|:--:|\n| 1 |  |\n\ntext\n| x |\n|---|\n'
    assert tables(md) == [[['a', 'b \\| c'], ['1', '']], [['x']]]
