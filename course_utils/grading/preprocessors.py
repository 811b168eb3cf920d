"""nbgrader preprocessors the course adds when it autogrades (see :mod:`.guard`)."""
from __future__ import annotations

from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from .guard import PREAMBLE, RESTORE

GUARD_CELL_ID = "course-grading-guard"


class GuardGradedTests(NbGraderPreprocessor):
    """Insert the guard import before any student code and restore the test helpers at the
    top of every graded test cell."""

    def preprocess(self, nb, resources):
        if not any(cell.get("id") == GUARD_CELL_ID for cell in nb.cells):
            guard = new_code_cell(PREAMBLE)
            guard["id"] = GUARD_CELL_ID
            nb.cells.insert(0, guard)
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell) and not cell.source.startswith(RESTORE):
                cell.source = RESTORE + "\n" + cell.source
        return nb, resources


# Appended to the nbgrader_config.py of every grading workspace.
CONFIG_LINES = """
# --- added by course_utils.grading: guard the graded tests against tampering ---
from course_utils.grading.preprocessors import GuardGradedTests
from nbgrader.converters.autograde import Autograde as _Autograde
c.Autograde.autograde_preprocessors = [GuardGradedTests, *_Autograde.class_traits()["autograde_preprocessors"].default()]
"""
