"""examples/parkscope-tour.ipynb runs top to bottom in a kernel of this very Python."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "parkscope-tour.ipynb"
CELL_TIMEOUT_S = 60


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    return str(data.get("text/html", "")) + str(data.get("text/plain", ""))


def test_tour_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # A kernel spec of its own, pointing at sys.executable: a "python3" spec elsewhere on the
    # machine (a user's ~/.local/share/jupyter) could start another Python without parkscope.
    write_kernel_spec(path=str(tmp_path / "kernels" / "parkscope-test"))
    km = KernelManager(
        kernel_name="parkscope-test",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]),
    )
    client = NotebookClient(
        nb, km=km, timeout=CELL_TIMEOUT_S, startup_timeout=60,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the traceback without terminal colours
        pytest.fail(f"{NOTEBOOK.name}: a cell failed:\n{plain}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 2 * CELL_TIMEOUT_S, f"the tour took {elapsed:.0f} s"

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell ran"
    by_source = {c.source.strip(): "".join(_text(o) for o in c.outputs) for c in code}
    # the repr of the assessment and the score cell tell the same score
    shown_in = [re.search(r"life-convenience score ([0-9.]+) / 10", v) for v in by_source.values()]
    shown = float(next(m for m in shown_in if m).group(1))
    score = float(by_source['a.summary.life_convenience_score'])
    assert 0 <= score <= 10 and abs(shown - score) < 0.01
    # the plot made a figure and the checks cell printed its line
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert any("checks passed" in v for v in by_source.values())
    assert any("report.html" in v for v in by_source.values())
