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


def _executor():
    from course_utils.tools.grading.evaluator.execute import ExecuteThenEvaluate

    executor = ExecuteThenEvaluate()
    executor.reset_execution_trackers()
    executor.clear_before_next_output = False
    executor._suspicious = []
    return executor


def test_the_second_red_teams_floods_are_bounded_as_they_arrive():
    """Red team 2: a loop of 1 MB errors, displays with 1 MB of metadata, and 1 MB of text riding
    on the guard's MIME type each ended the grading in a MemoryError (0 for the whole notebook)."""
    from course_utils.tools.grading.guard import MARKER_MIME
    from course_utils.tools.grading.preprocessors import RECEIVED_NOTE

    executor, big = _executor(), "x" * 1_000_000
    errors: list = []
    for _ in range(50):
        executor.output(errors, _message("error", ename="ValueError", evalue=big, traceback=[big, big]), None, 1)
    kept = [out for out in errors if out["output_type"] == "error"]
    assert len(kept) == executor.max_errors and any(RECEIVED_NOTE in out.get("text", "") for out in errors)
    assert all(len(out["evalue"]) < 2 * executor.max_error_chars for out in kept)

    metadata: list = []
    for _ in range(50):
        executor.output(metadata, _message("display_data", data={"text/plain": "a"}, metadata={"m": big}), None, 2)
    assert sum(len(str(out.get("metadata", ""))) for out in metadata) <= executor.max_received_chars + len(big) + 100

    riding: list = []
    for _ in range(50):
        data = {MARKER_MIME: {"nonce": "n"}, "text/plain": big}
        executor.output(riding, _message("display_data", data=data, metadata={}), None, 3)
    assert len([out for out in riding if "data" in out]) <= 5, "extra types on an always-kept display: counted"

    markers: list = []
    for _ in range(10):
        executor.output(markers, _message("display_data", data={MARKER_MIME: {"nonce": "n"}}, metadata={}), None, 4)
    assert len([out for out in markers if "data" in out]) == executor.max_always_kept
    assert executor._suspicious, "imitations of the guard's marker past their number go to review"


def test_errors_and_guard_markers_survive_the_graded_notebooks_limits():
    """Red team 2: one 10.5 MB error filled the notebook's budget and the guard's markers of the test
    cells were dropped: an honest-looking notebook sent to review for tampering."""
    from course_utils.tools.grading.guard import MARKER_MIME

    error = new_output("error", ename="ValueError", evalue="x" * 10_500_000, traceback=["x" * 10_500_000])
    marker = new_output("display_data", data={MARKER_MIME: {"nonce": "n"}})
    bomb = new_code_cell("raise ValueError('x' * 10_500_000)", outputs=[*(_display() for _ in range(300)), error])
    tests = new_code_cell("check(...)", outputs=[*(_display() for _ in range(30)), marker])
    nb, _ = TruncateLargeOutputs().preprocess(new_notebook(cells=[bomb, tests]), {})
    assert len(nb.cells[0].outputs[-1]["evalue"]) < 2 * TruncateLargeOutputs.max_chars
    assert MARKER_MIME in nb.cells[1].outputs[-1]["data"]


def test_grading_waits_for_a_cells_last_output_as_long_as_the_cell_may_run():
    """Red team 2: 70,000 short prints that ended in time outran nbclient's 4 s wait for output
    after the reply, and nbgrader failed the whole notebook (0/3, in 3 of 4 runs)."""
    from course_utils.tools.grading.limits import GradingLimits
    from course_utils.tools.grading.preprocessors import BoundedOutputs

    assert "--Execute.iopub_timeout=37" in GradingLimits(cell_timeout=37).nbgrader_options()
    assert BoundedOutputs().iopub_timeout >= 30  # plain nbgrader and formgrader
