"""The guard in a real kernel: an honest notebook runs clean; each trick on the test machinery is
undone before the graded cell and reported by its marker (or its marker is missing)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.tools.grading.preprocessors import GuardGradedTests, StderrIsNotAFailure
from course_utils.tools.grading.tamper import guard_notes
from fixture_course import ASSIGNMENT, CORRECT, build_course

WRONG = "def doble(x):\n    return x"
TRICKS = {
    "code_object": WRONG
    + "\nfrom course_utils.checks import check_close\ncheck_close.__code__ = (lambda *a, **k: None).__code__",
    "allclose": WRONG + "\nimport numpy as np\nnp.allclose = lambda *a, **k: True",
    "builtins": WRONG + "\nimport builtins\nbuiltins.abs = lambda x: 0",
    "restore_replaced": WRONG + "\nimport course_utils.tools.grading.guard as g\ng.restore = lambda *a, **k: []",
    "input_transformer": WRONG
    + "\nget_ipython().input_transformers_cleanup.append(lambda lines: [l for l in lines if 'check' not in l])",
    "emptied": WRONG + "\nget_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "sys_modules": WRONG
    + "\nimport sys, types\nfake = types.ModuleType('course_utils.checks')\nfake.check_close = lambda *a, **k: None\n"
    "sys.modules['course_utils.checks'] = fake",
    "custom_exc": WRONG + "\nget_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
    "events": WRONG + "\nget_ipython().events.register('pre_run_cell', lambda *a: None)",
}


def _notebook(tmp_path, answers):
    root = build_course(tmp_path)
    nb = nbformat.read(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nb, _ = GuardGradedTests().preprocess(nb, {})
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    for index, cell in enumerate(nb.cells):
        StderrIsNotAFailure().preprocess_cell(cell, {}, index)
    return nb


def _failed(nb, grade_id):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return any(o.output_type == "error" for o in cell.outputs)


def test_honest_notebook_runs_clean(tmp_path):
    answers = dict(
        CORRECT,
        ej1_solucion=CORRECT["ej1_solucion"] + "\nimport warnings\n"
        "warnings.warn('aviso honesto')\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
    )
    nb = _notebook(tmp_path, answers)
    assert guard_notes(nb) == [], guard_notes(nb)
    assert not _failed(nb, "ej1_pruebas") and not _failed(nb, "ej2_pruebas")
    assert nb.cells[0]["id"].startswith("course-grading-guard-") and len(nb.cells[0]["id"]) > 30


@pytest.mark.parametrize("trick", TRICKS)
def test_each_trick_is_undone_or_reported(tmp_path, trick):
    nb = _notebook(tmp_path, {"ej1_solucion": TRICKS[trick], "ej2_solucion": CORRECT["ej2_solucion"]})
    notes = guard_notes(nb)
    print(trick, _failed(nb, "ej1_pruebas"), notes)
    assert notes, f"{trick}: nothing reported"
    assert _failed(nb, "ej1_pruebas") or any("no se ejecutó" in n for n in notes)


def test_forged_guard_cell_is_dropped(tmp_path):
    root = build_course(tmp_path)
    nb = nbformat.read(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    forged = nbformat.v4.new_code_cell("check_close = lambda *a, **k: None")
    forged["id"] = "course-grading-guard"
    nb.cells.insert(0, forged)
    nb, _ = GuardGradedTests().preprocess(nb, {})
    assert all(c.source != forged.source for c in nb.cells)
    assert nb.cells[0].source.startswith("import course_utils.tools.grading.guard")


def test_loosened_tolerance_is_undone(tmp_path):
    trick = WRONG + "\nfrom course_utils.checks import check_close\ncheck_close.__defaults__ = ('x', 1e9, 1e9)"
    nb = _notebook(tmp_path, {"ej1_solucion": trick, "ej2_solucion": CORRECT["ej2_solucion"]})
    assert _failed(nb, "ej1_pruebas") and guard_notes(nb)


def test_a_library_rebinding_its_own_function_is_not_tampering(tmp_path):
    """Importing torch._dynamo wraps torch.manual_seed (found grading chapter 05's solutions)."""
    answers = dict(CORRECT, ej1_solucion=CORRECT["ej1_solucion"] + "\nimport torch\nimport torch._dynamo")
    nb = _notebook(tmp_path, answers)
    assert guard_notes(nb) == []
    wrapped = dict(
        CORRECT,
        ej1_solucion=WRONG + "\nimport functools, torch\n"
        "torch.manual_seed = functools.wraps(torch.manual_seed)(lambda *a: None)",
    )
    assert guard_notes(_notebook(tmp_path / "b", wrapped))


def test_a_publisher_set_to_none_is_refused_and_the_notebook_goes_on(tmp_path):
    """``display_pub = None`` (or the display hook) would leave the kernel unable to start any
    further cell (``set_parent`` on every request): refused, reported, the next cells run —
    while ``%%capture``'s own publisher still works (honest, not reported)."""
    answers = {
        "ej1_solucion": WRONG + "\nget_ipython().display_pub = None\nget_ipython().displayhook = None",
        "ej2_solucion": CORRECT["ej2_solucion"],
    }
    nb = _notebook(tmp_path, answers)
    notes = guard_notes(nb)
    assert any("shell.display_pub = NoneType (rechazado)" in n for n in notes), notes
    assert _failed(nb, "ej1_pruebas") and not _failed(nb, "ej2_pruebas")
    captured = dict(
        CORRECT,
        ej1_solucion="%%capture salida\n" + CORRECT["ej1_solucion"] + "\ndisplay('oculto')\nprint('también')",
    )
    nb = _notebook(tmp_path / "b", captured)
    assert guard_notes(nb) == [] and not _failed(nb, "ej1_pruebas") and not _failed(nb, "ej2_pruebas")
