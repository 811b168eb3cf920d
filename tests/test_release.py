"""The student release: generated from solutions/, in sync, and free of solutions."""

import re

import nbformat
import pytest

from course_utils.tools.release import release_differences
from support import CHAPTERS, ROOT

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def test_there_are_chapters():
    assert "01_operaciones_fusion" in CHAPTERS


def test_release_is_in_sync_with_solutions():
    assert release_differences() == []


def test_release_differences_detects_a_hand_edit(tmp_path):
    """A course of one chapter (the check regenerates whatever solutions/ holds)."""
    import shutil

    for part in ("solutions", "notebooks"):
        shutil.copytree(ROOT / part / CHAPTERS[0], tmp_path / part / CHAPTERS[0])
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    path = tmp_path / "notebooks" / CHAPTERS[0] / f"{CHAPTERS[0]}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\nEditado a mano."
    nbformat.write(nb, path)
    assert release_differences(tmp_path) == [f"out of date: notebooks/{CHAPTERS[0]}/{CHAPTERS[0]}.ipynb"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_has_no_solutions_hidden_tests_or_outputs(chapter):
    nb = nbformat.read(ROOT / "notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        for marker in SOLUTION_MARKERS:
            assert marker not in cell.source, f"{chapter}: release cell contains {marker!r}"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{chapter}: release cell has outputs"
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            # the blank stub names what to write, in Spanish (course_utils/tools/name_the_stub.py)
            assert 'raise NotImplementedError("Ejercicio sin hacer: ' in cell.source.replace("'", '"'), cell.source


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_cells_carry_nbgrader_metadata(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    grade_ids, points = [], 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if "### BEGIN SOLUTION" in cell.source:
            assert meta and meta.get("solution") is True, (
                f"solution region outside a solution cell:\n{cell.source[:200]}"
            )
        if "### BEGIN HIDDEN TESTS" in cell.source:
            assert meta and meta.get("grade") is True, f"hidden tests outside a grade cell:\n{cell.source[:200]}"
        if meta:
            grade_ids.append(meta["grade_id"])
            assert meta.get("schema_version") == 3
            if meta.get("grade"):
                assert meta.get("points", 0) > 0 and meta.get("locked") is True
                points += meta["points"]
        if cell.cell_type == "code":
            assert not cell.outputs, f"{chapter}: solution notebooks are stored without outputs"
    assert len(grade_ids) == len(set(grade_ids)), "grade_id values must be unique"
    assert points > 0


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_has_one_parameters_cell(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("FAST", "SEED", "DEVICE"):
        assert re.search(rf"^{name}\s*=", tagged[0].source, re.M), f"{chapter}: parameters cell lacks {name}"
