"""The preprocessors the course adds to nbgrader's autograde (course_utils/tools/grading/preprocessors.py)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils.tools.grading.hide_hidden_tests import VERDICT_PREFIX
from course_utils.tools.grading.preprocessors import TruncateLargeOutputs, _output_chars

BIG = "x" * 99_000


def _display() -> dict:
    return new_output("display_data", data={"text/plain": BIG})


def _chars(nb) -> int:
    return sum(_output_chars(out) for cell in nb.cells for out in cell.get("outputs", []))


def test_an_output_bomb_is_cut_to_the_cell_and_notebook_limits_keeping_errors_and_the_verdict():
    """The red team's bomb: 1,500 displays of 99 kB from one cell made a 149 MB graded notebook."""
    error = new_output("error", ename="AssertionError", evalue="falla", traceback=["falla"])
    verdict = new_output("stream", name="stdout", text=f"{VERDICT_PREFIX}: 0/2 puntos.\n")
    bomb = new_code_cell("for _ in range(1500): display(...)", outputs=[*(_display() for _ in range(1500)), error])
    graded = new_code_cell("check_true(...)", outputs=[*(_display() for _ in range(400)), verdict])
    quiet = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")])
    nb = new_notebook(cells=[bomb, graded, quiet])
    before = _chars(nb)

    nb, _ = TruncateLargeOutputs().preprocess(nb, {})

    assert before > 180_000_000 and _chars(nb) <= TruncateLargeOutputs.max_notebook_chars + 100_000
    for cell in nb.cells[:2]:
        assert _chars(new_notebook(cells=[cell])) <= TruncateLargeOutputs.max_cell_chars + 100_000
        assert any("salidas omitidas al calificar" in out.get("text", "") for out in cell.outputs)
    assert nb.cells[0].outputs[-1]["output_type"] == "error", "the error decides the grade: it stays"
    assert nb.cells[1].outputs[-1]["text"].startswith(VERDICT_PREFIX), "the verdict stays, and last"
    assert nb.cells[2].outputs == [new_output("stream", name="stdout", text="1\n")]
    nbformat.validate(nb)


def test_a_notebook_within_the_limits_is_untouched():
    cells = [new_code_cell("display(...)", outputs=[_display() for _ in range(15)]) for _ in range(3)]
    nb = new_notebook(cells=cells)
    expected = nbformat.writes(nb)
    nb, _ = TruncateLargeOutputs().preprocess(nb, {})
    assert nbformat.writes(nb) == expected
