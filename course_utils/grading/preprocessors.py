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


class TruncateLargeOutputs(NbGraderPreprocessor):
    """Cut every text output to ``max_chars`` characters (nbgrader's ``LimitOutput`` counts
    lines, so one enormous line would pass): the graded notebook and its feedback stay small."""

    max_chars = 100_000

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and len(out.get("text", "")) > self.max_chars:
                size = len(out["text"])
                out["text"] = out["text"][:self.max_chars] + f"\n… [salida recortada al calificar: {size:,} caracteres]\n"
            for key, value in list(out.get("data", {}).items()):
                if isinstance(value, str) and len(value) > self.max_chars:
                    out["data"][key] = value[:self.max_chars] + "\n… [salida recortada al calificar]"
        return cell, resources


# Appended to the nbgrader_config.py of every grading workspace.
CONFIG_LINES = r"""
# --- added by course_utils.grading: guard the graded tests against tampering ---
from course_utils.grading.preprocessors import GuardGradedTests, TruncateLargeOutputs
from nbgrader.converters.autograde import Autograde as _Autograde
_steps = _Autograde.class_traits()["autograde_preprocessors"].default()
c.Autograde.autograde_preprocessors = [GuardGradedTests, _steps[0], TruncateLargeOutputs, *_steps[1:]]
# a deleted grade cell comes back from the gradebook, and the teacher is told
c.OverwriteCells.add_missing_cells = True
c.OverwriteCells.missing_cell_notification = "# RESTAURADA AL CALIFICAR: la celda {cell_id} faltaba en la entrega.\n"
"""
MISSING_CELL_MARK = "# RESTAURADA AL CALIFICAR"
