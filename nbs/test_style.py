"""Style of the exported package, measured: lines near 110 characters at most, no semicolon-joined statements.

The modules are written by `nbdev_export` from the notebooks' exported cells, which are formatted with
`ruff format --line-length 110` (quotes preserved); long strings and comments are the lines it cannot wrap."""

import io
import tokenize
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'ovs_nb'


def modules() -> list[Path]:
    return sorted(p for p in PKG.rglob('*.py') if p.name != '_modidx.py')


def test_lines_mostly_under_110():
    lines = [line for p in modules() for line in p.read_text().splitlines()]
    long = [line for line in lines if len(line) > 110]
    assert len(long) / len(lines) < 0.05, f'{len(long)} of {len(lines)} lines are over 110 characters'


def test_no_semicolon_statements():
    found = []
    for p in modules():
        for tok in tokenize.generate_tokens(io.StringIO(p.read_text()).readline):
            if tok.type == tokenize.OP and tok.string == ';':
                found.append(f'{p.name}:{tok.start[0]}')
    assert not found, f'statements joined by semicolons at {found}'
