"""Hygiene students notice (title, objectives, time, working links and images, a link to the
next notebook, valid tags and nbgrader metadata), on the real notebooks and on broken copies
that the checks must catch; and `nbgrader validate` passes on every solution notebook."""

from __future__ import annotations

import subprocess

import nbformat
import pytest

from course_utils.tools import hygiene
from course_utils.tools.environment import tool_environment
from support import CHAPTERS, ROOT


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_course_notebooks_are_clean(folder):
    assert hygiene.course_problems(ROOT / folder, CHAPTERS) == []


def _notebook(*markdown: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text) for text in markdown])


def test_opening_needs_title_objectives_and_time():
    assert hygiene.opening_problems(_notebook("# T\n\n**Objetivos.** x\n\n**Tiempo estimado:** 1 h")) == []
    problems = hygiene.opening_problems(_notebook("Sin título ni nada"))
    assert len(problems) == 3 and any("tiempo estimado" in p for p in problems)
    code_first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    assert hygiene.opening_problems(code_first)


def test_broken_images_and_links_are_reported(tmp_path):
    (tmp_path / "figura.png").write_bytes(b"png")
    good = _notebook("![ok](figura.png) [sig](figura.png#x) [web](https://example.org) `![no](código.png)`")
    assert hygiene.link_problems(good, tmp_path) == []
    bad = _notebook(
        "![falta](no_existe.png)",
        '<img src="otra.svg">',
        "[roto](../nada.ipynb)",
        "![remota](https://example.org/a.png)",
        "![adj](attachment:a.png)",
    )
    problems = hygiene.link_problems(bad, tmp_path)
    assert len(problems) == 5, problems
    assert any("remota" in p for p in problems) and any("adjunta" in p for p in problems)


def test_next_link_is_required():
    nb = _notebook("# T", "**Siguiente:** [02](../02_b/02_b.ipynb)")
    assert hygiene.next_link_problems(nb, "02_b") == []
    assert hygiene.next_link_problems(nb, "03_c")
    assert hygiene.next_link_problems(_notebook("# T", "Fin. [Índice](../../README.md)"), None) == []


def test_bad_tags_and_metadata_are_reported():
    nb = nbformat.read(ROOT / "solutions" / CHAPTERS[0] / f"{CHAPTERS[0]}.ipynb", as_version=4)
    assert hygiene.metadata_problems(nb) == []
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    graded[0].metadata["tags"] = ["parametros"]
    graded[1].metadata.nbgrader.grade_id = graded[0].metadata.nbgrader.grade_id
    problems = hygiene.metadata_problems(nb)
    assert any("parametros" in p for p in problems) and any("Duplicate grade id" in p for p in problems)


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS[:1])
def test_nbgrader_validate_passes_on_the_solution(chapter, tmp_path):
    """``nbgrader validate`` end to end, as the Validate button runs it (it sets
    NBGRADER_EXECUTION=validate, which must mean FAST mode), on the first chapter: every test
    passes. Every chapter's execution is judged by nbgrader's Validator in
    tests/test_notebooks.py without executing it again."""
    env = tool_environment()
    env.update(HOME=str(tmp_path), COURSE_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("COURSE_FAST", None)
    result = subprocess.run(
        ["nbgrader", "validate", str(ROOT / "solutions" / chapter / f"{chapter}.ipynb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Success! Your notebook passes all the tests." in output, output[-4000:]
