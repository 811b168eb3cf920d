"""What a student sees in JupyterLab, in a real browser: each release notebook opens with the
course kernel and its cells before the first exercise run without errors; *Validate* shows
nbgrader's success message (plus the course's note that hidden tests decide the grade) for a
right answer, and the failing test with its Spanish message for a wrong one."""

from __future__ import annotations

import nbformat
import pytest

from course_utils.tools.first_hour import is_exercise_cell
from course_utils.tools.grading.bench import solution_sources, write_submission
from lab_browser import SCREENSHOTS, browser_context, lab, page  # noqa: F401 - fixtures
from support import CHAPTERS, ROOT

pytestmark = pytest.mark.e2e
RUN_TIMEOUT_MS = 240_000
VALIDATE_TIMEOUT_MS = 300_000

_KERNEL_IDLE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
                 && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
}"""

# Done when the kernel is idle and every code cell above `n` ran, or one of them failed
# (JupyterLab then skips the rest of the queue).
_CELLS_DONE = """(n) => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (panel.sessionContext.session.kernel.status !== 'idle') return false;
  const cells = panel.content.model.cells;
  let pending = false;
  for (let i = 0; i < Math.min(n, cells.length); i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    if (cell.outputs.toJSON().some(o => o.output_type === 'error')) return true;
    if (cell.executionCount === null) pending = true;
  }
  return !pending;
}"""

_CELL_REPORT = """(n) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  const report = [];
  for (let i = 0; i < n; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const errors = cell.outputs.toJSON().filter(o => o.output_type === 'error')
                       .map(o => o.ename + ': ' + o.evalue);
    report.push({index: i, count: cell.executionCount, errors: errors});
  }
  return report;
}"""


def _first_exercise_cell(notebook: nbformat.NotebookNode) -> int:
    """Index of the first cell a student answers or that grades an answer."""
    found = [index for index, cell in enumerate(notebook.cells) if is_exercise_cell(cell)]
    assert found, "the notebook has no exercise"
    return found[0]


def _open(page, lab, relative_path: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{relative_path}?reset&token={lab.token}")  # reset: no tabs left from before
    page.wait_for_selector(".jp-NotebookPanel", state="visible", timeout=90_000)
    page.wait_for_function(_KERNEL_IDLE, timeout=90_000)


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _kernel_python(page) -> str:
    """Ask the notebook's kernel which Python it is and where course_utils comes from."""
    return page.evaluate("""async () => {
      const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const future = kernel.requestExecute({code: 'import sys, course_utils; print(sys.executable, course_utils.__file__)',
                                            silent: false, store_history: false});
      let text = '';
      future.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
      await future.done;
      return text.trim();
    }""")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_cells_before_the_first_exercise_run_cleanly(page, lab, chapter):
    relative = f"{chapter}/{chapter}.ipynb"
    first = _first_exercise_cell(nbformat.read(lab.root / relative, as_version=4))
    _open(page, lab, relative)
    kernel_info = _kernel_python(page)
    assert str(ROOT / ".venv") in kernel_info or str(ROOT) in kernel_info, (
        f"the notebook did not open with the course's kernel: {kernel_info}"
    )
    page.evaluate("(n) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = n; }", first)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-above')")
    page.wait_for_function(_CELLS_DONE, arg=first, timeout=RUN_TIMEOUT_MS, polling=500)
    report = page.evaluate(_CELL_REPORT, arg=first)
    _shot(page, f"{chapter}-antes-del-primer-ejercicio")
    failed = [r for r in report if r["errors"]]
    assert not failed, f"error outputs before the first exercise of {chapter}: {failed}"
    assert report and all(r["count"] is not None for r in report), f"cells that did not run: {report}"


def _prepare_answer(lab, chapter: str, name: str, answers: dict[str, str]) -> str:
    release = ROOT / "notebooks" / chapter / f"{chapter}.ipynb"
    target = write_submission(release, answers, lab.root / name)
    return f"{name}/{target.name}"


def _validate(page, name: str):
    """Press Validate on the open notebook (saved with the answers) and return the dialog.
    nbgrader's validate runs every cell itself, so the cells are not run in the browser first
    (that doubled the test's time; running cells is what the test above checks)."""
    page.click(".validate-button button, .validate-button jp-button")
    dialog = page.wait_for_selector(".jp-Dialog #validation-message", timeout=VALIDATE_TIMEOUT_MS)
    # a failed check's message opens its error block (course_utils.checks.CheckFailure): scroll the
    # last error block to the top of the dialog for the screenshot
    page.evaluate(
        "() => { const e = [...document.querySelectorAll('.jp-Dialog-body .jp-RenderedText pre')].pop(); "
        "if (e) e.scrollIntoView({block: 'start'}); }"
    )
    _shot(page, name)
    return dialog


def test_validate_accepts_a_right_answer(page, lab):
    chapter = CHAPTERS[0]
    path = _prepare_answer(lab, chapter, "completo", solution_sources(ROOT, chapter))
    _open(page, lab, path)
    dialog = _validate(page, "validate-correcto")
    assert "validation-success" in dialog.get_attribute("class"), dialog.inner_text()
    assert "Success! Your notebook passes all the tests." in dialog.inner_text()
    note = page.evaluate("(el) => getComputedStyle(el, '::after').content", dialog)
    assert "pruebas ocultas" in note and "no es tu nota" in note, (
        f"the course's note about hidden tests is missing from the success dialog: {note!r}"
    )


# A plausible mistake in exercise 1 of chapter 01: the modalities concatenated in reverse order.
WRONG_CONCAT = """def fuse_concat(tensors):
    return torch.cat(list(tensors)[::-1], dim=-1)
"""


def test_validate_names_the_failing_test_in_spanish(page, lab):
    chapter = CHAPTERS[0]
    answers = solution_sources(ROOT, chapter)
    assert "ej1_solucion" in answers and "def fuse_concat" in answers["ej1_solucion"], (
        "exercise 1 of chapter 01 changed: update WRONG_CONCAT"
    )
    answers["ej1_solucion"] = WRONG_CONCAT
    path = _prepare_answer(lab, chapter, "con_error", answers)
    _open(page, lab, path)
    dialog = _validate(page, "validate-incorrecto")
    text = dialog.inner_text()
    assert "validation-failed" in dialog.get_attribute("class"), text
    assert "The following cell failed:" in text
    assert "fuse_concat([_texto, _imagen, _audio])" in text, "the dialog must show the failing test cell"
    assert "Valores incorrectos en fuse_concat (texto, luego imagen, luego audio" in text, (
        f"the Spanish message of the failing check is missing from the dialog:\n{text}"
    )
    error = text.split("Prueba no superada:", 1)[-1].lstrip()
    assert error.startswith("Valores incorrectos en fuse_concat"), f"the message must open the error:\n{text}"
    assert "checks.py" not in text, f"the check helpers' frames must be hidden:\n{text}"
    note = page.evaluate("(el) => getComputedStyle(el, '::before').content", dialog)
    assert "pruebas ocultas" in note, f"the course's note is missing from the failure dialog: {note!r}"


def test_validate_on_a_blank_exercise_says_what_to_write(page, lab):
    """The blank release's stub names, in Spanish, the function to write (nbgrader's bare
    ``NotImplementedError()`` said nothing); screenshot ``build/e2e/validate-en-blanco.png``."""
    chapter = CHAPTERS[0]
    path = _prepare_answer(lab, chapter, "en_blanco", {})
    _open(page, lab, path)
    dialog = _validate(page, "validate-en-blanco")
    text = dialog.inner_text()
    assert "validation-failed" in dialog.get_attribute("class"), text
    assert (
        "NotImplementedError: Ejercicio sin hacer: escribe el cuerpo de fuse_concat en lugar de esta línea" in text
    ), f"the blank stub's Spanish message is missing from the dialog:\n{text}"


def test_the_lab_speaks_spanish(page, lab):
    """The course's lab settings make Spanish JupyterLab's language (the language pack is in the
    student set): the menu bar reads Archivo, Editar, Ver…"""
    _open(page, lab, f"{CHAPTERS[0]}/{CHAPTERS[0]}.ipynb")
    labels = page.eval_on_selector_all(".lm-MenuBar-itemLabel", "els => els.map(e => e.textContent.trim())")
    assert {"Archivo", "Editar", "Ver"} <= set(labels), f"JupyterLab's menus are not in Spanish: {labels}"
