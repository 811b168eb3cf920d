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


def _message(kind: str, parent: str = "celda", **content) -> dict:
    return {"msg_type": kind, "parent_header": {"msg_id": parent}, "header": {"msg_type": kind}, "content": content}


def test_an_endless_print_loop_is_dropped_as_it_arrives_keeping_errors_and_the_evaluators_answers():
    """An endless ``print`` loop once sent the grader (under the student's memory limit) enough
    output to end it in a MemoryError: 0 for the whole notebook."""
    from course_utils.tools.grading.evaluator.execute import ExecuteThenEvaluate
    from course_utils.tools.grading.evaluator.kernel_side import MIME
    from course_utils.tools.grading.guard import MARKER_MIME
    from course_utils.tools.grading.preprocessors import RECEIVED_NOTE

    executor = ExecuteThenEvaluate()
    executor.reset_execution_trackers()
    executor.clear_before_next_output = False
    line = "x" * 1000 + "\n"
    outs: list = []
    for _ in range(20_000):  # 20 MB from one cell
        executor.output(outs, _message("stream", name="stdout", text=line), None, 3)
    executor.output(outs, _message("display_data", data={MARKER_MIME: {"nonce": "n"}}, metadata={}), None, 3)
    executor.output(outs, _message("error", ename="KeyboardInterrupt", evalue="", traceback=[]), None, 3)
    executor.output(outs, _message("display_data", data={MIME: "{}"}, metadata={}), None, 3)

    assert sum(len(out.get("text", "")) for out in outs) <= executor.max_received_chars + 2 * len(line)
    assert sum(RECEIVED_NOTE in out.get("text", "") for out in outs) == 1, "one note where output was dropped"
    assert MARKER_MIME in outs[-3]["data"], "the guard's marker is never dropped"
    assert outs[-2]["output_type"] == "error" and MIME in outs[-1]["data"]

    quiet: list = []  # the next cell starts its own count
    executor.output(quiet, _message("stream", name="stdout", text="1\n"), None, 4)
    assert quiet == [new_output("stream", name="stdout", text="1\n")]
