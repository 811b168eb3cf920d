"""nbgrader's ``SaveAutoGrades`` with the evaluator's verdicts as the scores of graded test
cells: what the kernel printed (or forged) in those cells no longer decides anything."""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import SaveAutoGrades

from .execute import VERDICTS


class SaveTrustedGrades(SaveAutoGrades):
    """Scores of graded test cells from ``resources["course_verdicts"]``; a graded test cell
    with no verdict (the evaluator never ran) scores 0. Manually graded cells are untouched."""

    def preprocess(self, nb, resources):
        self._verdicts = resources.get(VERDICTS, {})
        return super().preprocess(nb, resources)

    def _add_score(self, cell, resources) -> None:
        if not (cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)):
            return super()._add_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
        )
        verdict = self._verdicts.get(cell.metadata["nbgrader"]["grade_id"])
        grade.auto_score = verdict.points if verdict is not None else 0.0
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()
