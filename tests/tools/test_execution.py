"""course_utils/tools/execution.py: the one notebook executor (papermill), in process and in a
child process (how the first-hour check runs it inside its network isolation)."""

from __future__ import annotations

import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.tools.execution import execute_notebook


def _notebook(path, *sources, parameters=None):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.insert(0, cell)
    nbformat.write(nb, path)
    return path


def test_parameters_are_injected_and_the_kernel_runs_in_the_notebook_s_folder(tmp_path):
    (tmp_path / "dato.txt").write_text("aquí")
    source = _notebook(
        tmp_path / "n.ipynb", "print(FAST, SEED, open('dato.txt').read())", parameters="FAST = False\nSEED = 0"
    )
    assert execute_notebook(source, tmp_path / "out.ipynb", parameters={"FAST": True, "SEED": 7}) is None
    ran = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert ran.cells[-1].outputs[0].text == "True 7 aquí\n"
    assert "execution" in ran.cells[-1].metadata, "cell timings (the first-hour report reads them)"


def test_a_failing_cell_is_reported_with_its_source_and_the_output_is_written(tmp_path):
    source = _notebook(tmp_path / "n.ipynb", "x = 1", "1 / 0", "print('nunca')")
    error = execute_notebook(source, tmp_path / "out.ipynb")
    assert "ZeroDivisionError" in error and "1 / 0" in error
    ran = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert any(o.get("ename") == "ZeroDivisionError" for c in ran.cells if c.cell_type == "code" for o in c.outputs)


def test_in_a_child_process_a_cell_over_its_time_fails_with_the_reason_on_stderr(tmp_path):
    source = _notebook(tmp_path / "n.ipynb", "import time; time.sleep(60)")
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "course_utils.tools.execution",
            str(source),
            str(tmp_path / "o.ipynb"),
            "--cell-timeout=2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 1 and "Timeout" in child.stderr, child.stderr[-2000:]
    assert (tmp_path / "o.ipynb").exists()
