"""A chapter's graded exercises judged in this process: the notebook's setup cells, the solutions
before an exercise, an answer, then the visible part of its test cell (run alone) and its hidden
test (through the evaluator's in-process session: the same requests and JSON round trip as
through the kernel)."""

from __future__ import annotations

import contextlib
import functools
import io

import nbformat

from course_utils.tools.grading.evaluator.local import judge_cell
from wrong_answers import corpus

from . import ROOT

# names a later, ungraded cell of the notebook imports before the exercise that uses them
LATER_IMPORTS = {"03_minibatches_multimodales": "from course_utils.batching import PAD\n"}
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


class Chapter:
    """One chapter's solution notebook, wrong-answer corpus and in-process judges."""

    def __init__(self, chapter: str):
        self.name = chapter
        self.wrong, self.variants = corpus(chapter)
        nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
        self.cells = {
            c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
        }
        # the parameters and the imports
        self.setup = [c.source for c in nb.cells[:4] if c.cell_type == "code"] + [LATER_IMPORTS.get(chapter, "")]
        self.solutions = [g for g in self.cells if g.endswith("_solucion")]

    def namespace(self, grade_id: str, answer: str) -> dict:
        """The notebook's imports, the solutions of the exercises before ``grade_id`` and ``answer``
        (an answer that raises leaves its names undefined, as a failed cell does in the kernel)."""
        namespace: dict = {}
        before = [self.cells[g].source for g in self.solutions[: self.solutions.index(grade_id)]]
        with contextlib.redirect_stdout(io.StringIO()):
            for source in self.setup + before:
                exec(source, namespace)  # noqa: S102 - the course's own notebook
            with contextlib.suppress(Exception):
                exec(answer, namespace)  # noqa: S102 - the corpus' answer
        return namespace

    def visible_tests(self, grade_id: str) -> str:
        return self.cells[grade_id.replace("_solucion", "_pruebas")].source.split(HIDDEN_MARK)[0]

    def visible(self, grade_id: str, answer: str) -> None:
        """Runs the visible tests after ``answer``: an AssertionError is their verdict."""
        namespace = self.namespace(grade_id, answer)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(self.visible_tests(grade_id), namespace)  # noqa: S102 - the course's visible tests

    def hidden(self, grade_id: str, answer: str, seed: int | None = None) -> tuple[float, float, str]:
        """(points given, points of the exercise, the evaluator's message) for ``answer`` (``seed``: the
        hidden test's secret seed fixed; default a new secret one)."""
        cell = self.cells[grade_id.replace("_solucion", "_pruebas")]
        points = cell.metadata["nbgrader"]["points"]
        verdict = judge_cell(cell.source, self.namespace(grade_id, answer), grade_id, points, seed)
        return verdict.points, points, verdict.message


@functools.cache
def chapter(name: str) -> Chapter:
    return Chapter(name)
