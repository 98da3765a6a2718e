"""The research notebooks run top to bottom on built-in data, draw their figures, and are stored
without outputs.

Each notebook in ``notebooks/`` is executed with nbclient in a ``python3`` kernel (the kernel of
the current environment: ipykernel from the ``test`` extra provides it) with matplotlib's inline
backend, as in Jupyter, so figures become ``image/png`` outputs: every cell that draws (calls
``subplots``, a ``plot_*`` function or ``Image`` outside a definition) must show one, and no
horizontal reference line of any figure may sit outside its axes or on their edge. A cell may
take up to ``CELL_TIMEOUT`` seconds.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell
INLINE = "module://matplotlib_inline.backend_inline"

#: Run first: keep every figure open after it is shown, so the last cell can inspect them.
_KEEP = "%config InlineBackend.close_figures = False"
#: Run last: every horizontal line of every figure strictly inside its axes' y range.
_EDGES = '''
import json as _json
import matplotlib.pyplot as _plt
_bad = []
for _n in _plt.get_fignums():
    _fig = _plt.figure(_n)
    for _ax in _fig.axes:
        _lo, _hi = sorted(_ax.get_ylim())
        _pad = 0.02 * (_hi - _lo)  # closer than 2% of the range reads as on the edge
        for _line in _ax.get_lines():
            _y = [float(v) for v in _line.get_ydata()]
            if len(_y) < 2 or min(_y) != max(_y) or not _line.get_visible():
                continue
            if not (_lo + _pad < _y[0] < _hi - _pad) and _ax.get_yscale() == "linear":
                _bad.append([_ax.get_title() or _ax.get_title(loc="left"),
                             _line.get_label(), _y[0], [_lo, _hi]])
print("EDGE-CHECK " + _json.dumps(_bad))
'''


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebook in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_outputs_cleared(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs or execution counts"


def draws(source: str) -> bool:
    """Whether a cell draws a figure: it calls ``subplots``, ``Image`` or a ``plot_*``
    function outside function and class definitions (magics skipped)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    tree = ast.parse(code)
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in ("subplots", "Image") or name.startswith("plot_"):
                    return True
    return False


def test_draws_tells_figure_cells() -> None:
    assert draws("fig, ax = plt.subplots()\nax.plot([1])")
    assert draws("display(Image(plot_timeline(r, 'x.png')))")
    assert not draws("def plot_backtest(x):\n    fig, ax = plt.subplots()\n    return fig")
    assert not draws("table = frame.describe()")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_draws(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", INLINE)  # the kernel inherits it: figures as PNG
    nb = nbformat.read(path, as_version=4)
    n = len(nb.cells)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_KEEP))
    nb.cells.append(nbformat.v4.new_code_cell(_EDGES))
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    cells = nb.cells[1:n + 1]
    errors = [
        out
        for cell in cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    figure_cells = [i for i, c in enumerate(cells) if c.cell_type == "code" and draws(c.source)]
    assert figure_cells, f"{path.name} draws no figure"
    blank = [i for i in figure_cells
             if not any("image/png" in out.get("data", {}) for out in cells[i].outputs)]
    assert not blank, f"{path.name}: cells {blank} draw but show no figure"
    text = "".join(out.get("text", "") for out in nb.cells[-1].outputs)
    bad = json.loads(text.split("EDGE-CHECK ", 1)[1])
    assert not bad, f"{path.name}: horizontal lines outside or on the edge of their axes: {bad}"
