"""Teacher-readable notes: nbgrader's log and the graded notebook explain lost marks."""

from __future__ import annotations

import html as html_lib
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils.tools.grading.diagnosis import (
    CELL_TIMEOUT_LOG,
    NETWORK_NOTE,
    RAISED_INTERRUPT,
    explain,
    feedback_note,
    kernel_exit_note,
    note_in_notebooks,
)
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


def test_a_quoted_output_in_the_note_renders_as_plain_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    printed = "últimas líneas: <script>alert(1)</script> | [aprobado](javascript:alert(1)) | **10/10** $x$ a_b"
    html = markdown2html_mistune(feedback_note(printed, ""))
    assert "<script" not in html and "<a " not in html and "<strong>10/10" not in html
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html))
    assert printed in text, text


def test_a_raised_keyboard_interrupt_is_not_the_time_limit(tmp_path):
    folder = _graded(tmp_path, "KeyboardInterrupt", "")
    raised = explain("[AutogradeApp | INFO] Converting notebook\n", False, LIMITS, graded=True, notebook_dir=folder)
    assert raised == f"ej1: {RAISED_INTERRUPT}" and "tiempo máximo" not in raised
    timed_out = explain(
        f"[AutogradeApp | ERROR] {CELL_TIMEOUT_LOG} (60s).\n[AutogradeApp | ERROR] Interrupting kernel\n",
        False,
        GradingLimits(cell_timeout=60),
        graded=True,
        notebook_dir=folder,
    )
    assert timed_out == "ej1: superó el tiempo máximo por celda (60 s) y se interrumpió"


@pytest.mark.parametrize(
    ("ename", "evalue", "words"),
    [
        ("OSError", "[Errno 28] No space left on device", "se llenó su espacio de disco (límite de 321 MiB"),
        ("OSError", "[Errno 27] File too large", "tamaño máximo por fichero (17 MiB)"),
        ("BlockingIOError", "[Errno 11] Resource temporarily unavailable", "límite de 9 procesos"),
        ("RuntimeError", "can't start new thread", "límite de 9 procesos"),
    ],
)
def test_an_exhausted_limit_is_named(tmp_path, ename, evalue, words):
    limits = GradingLimits(disk_mb=321, file_size_mb=17, max_processes=9)
    note = explain("", False, limits, graded=True, notebook_dir=_graded(tmp_path, ename, evalue))
    assert note.startswith("ej1: ") and words in note


def test_a_bare_json_error_in_the_log_is_not_a_damaged_notebook():
    note = explain("json.decoder.JSONDecodeError: Expecting value\n", False, LIMITS, graded=False)
    assert "JSON válido" not in note
    assert "JSON válido" in explain("nbformat.reader.NotJSONError: x\n", False, LIMITS, graded=False)


def test_how_a_kernel_ended_is_told_with_its_death(tmp_path):
    folder = _graded(tmp_path, "DeadKernelError", "")
    (tmp_path / "b").mkdir()
    note = explain("", False, LIMITS, graded=True, notebook_dir=folder, kernel_exits=[137, 3])
    assert note.endswith(
        "el kernel recibió SIGKILL (memoria del sistema agotada o una señal), luego terminó él "
        "mismo con el código 3 (sys.exit/os._exit)"
    )
    assert "memoria" in kernel_exit_note([134], LIMITS) and "123 MiB" in kernel_exit_note([134], LIMITS)
    # no death in the notebook: an exit status alone adds nothing
    assert (
        explain(
            "", False, LIMITS, graded=True, notebook_dir=_graded(tmp_path / "b", "ValueError", ""), kernel_exits=[0]
        )
        == ""
    )
