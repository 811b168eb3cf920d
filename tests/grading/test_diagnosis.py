"""Teacher-readable notes: nbgrader's log and the graded notebook explain lost marks."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils.tools.grading.diagnosis import NETWORK_NOTE, explain, feedback_note, note_in_notebooks
from course_utils.tools.grading.limits import GradingLimits

LIMITS = GradingLimits(notebook_timeout=77, memory_mb=123)


def _graded(tmp_path, ename, evalue):
    cell = new_code_cell("x", metadata={"nbgrader": {"grade_id": "ej1"}})
    cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[])]
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "tarea.ipynb")
    return tmp_path


def test_timeout_names_the_limit():
    assert "77 s" in explain("", True, LIMITS, graded=False)


def test_log_problem_and_zero():
    note = explain("... nbformat.reader.NotJSONError: ...", False, LIMITS, graded=False)
    assert "JSON" in note and note.endswith("se le asigna 0")


def test_unknown_failure_quotes_the_log_tail():
    assert "última línea rara" in explain("uno\ndos\núltima línea rara\n", False, LIMITS, graded=False)


def test_blocked_connection_in_a_cell(tmp_path):
    folder = _graded(tmp_path, "OSError", "[Errno 101] Network is unreachable")
    assert explain("", False, LIMITS, graded=True, notebook_dir=folder) == f"ej1: {NETWORK_NOTE}"


def test_memory_error_names_the_limit(tmp_path):
    folder = _graded(tmp_path, "MemoryError", "")
    assert "123 MiB" in explain("", False, LIMITS, graded=True, notebook_dir=folder)


def test_ordinary_test_failure_says_nothing(tmp_path):
    folder = _graded(tmp_path, "AssertionError", "doble(2) vale 3")
    assert explain("", False, LIMITS, graded=True, notebook_dir=folder) == ""


def test_feedback_note_carries_reason_and_review(tmp_path):
    assert feedback_note("", "") == ""
    note = feedback_note("el kernel murió", "importa la solución")
    assert "el kernel murió" in note and "revisión manual" in note and "importa la solución" in note
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), tmp_path / "tarea.ipynb")
    note_in_notebooks(tmp_path, "", "copia sospechosa")
    assert "copia sospechosa" in nbformat.read(tmp_path / "tarea.ipynb", as_version=4).cells[0].source
