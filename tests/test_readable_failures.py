"""A failed check reads well where a student sees it: in the notebook and in nbgrader's
Validate dialog the Spanish message comes first, whole and wrapped, and the check helpers'
own frames are hidden (the kernel is a real IPython kernel)."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils import checks

LONG = (
    "La media ponderada debe normalizar sobre las modalidades, no sobre el lote: con pesos "
    "[0,75, 0,25, 0] la salida tiene que ser 0,75 · texto + 0,25 · imagen en cada ejemplo del lote."
)
STUDENT_CELL = (
    "from course_utils.checks import check_true\n"
    "MENSAJE = TEXTO\n"
    "def mi_prueba(valor):\n"
    "    check_true(valor == 1, MENSAJE)\n"
    "mi_prueba(2)"
)


def _notebook(path):
    cell = new_code_cell(STUDENT_CELL.replace("TEXTO", repr(LONG)))
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "ej1_pruebas",
        "points": 1,
        "solution": False,
        "locked": True,
        "schema_version": 3,
    }
    nb = new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _assert_readable(text):
    lines = text.splitlines()
    assert lines[0] == "Prueba no superada:", text
    assert " ".join(lines[2:4]).startswith("La media ponderada debe normalizar"), "the message comes first"
    assert " ".join(lines).count("0,75 · texto + 0,25 · imagen") == 1, "the whole message, once"
    assert all(len(line) <= checks.MESSAGE_WIDTH + 30 for line in lines), "wrapped, not cut by the dialog"
    assert "checks.py" not in text and "raise CheckFailure" not in text, "the helpers' frames are hidden"
    assert "mi_prueba(2)" in text and "check_true(valor == 1" in text, "the student's lines are kept"


def test_a_failed_check_in_a_kernel_shows_the_message_first(tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(_notebook(tmp_path / "n.ipynb"), as_version=4)
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "AssertionError", "the name students and nbgrader know"
    _assert_readable("\n".join(error.traceback))


def test_nbgrader_validate_reports_the_message_first(tmp_path):
    from nbgrader.validator import Validator

    results = Validator().validate(str(_notebook(tmp_path / "n.ipynb")))
    (failed,) = results["failed"]
    _assert_readable(failed["raw_error"])


def test_check_failures_are_assertion_errors_with_the_message():
    with pytest.raises(AssertionError, match="^Forma incorrecta en y"):
        checks.check_shape([1, 2], (3,), "y")
    rendered = checks.CheckFailure("x " * 100)._render_traceback_()
    assert rendered[0] == "Prueba no superada:" and max(map(len, rendered)) <= checks.MESSAGE_WIDTH
