"""Chapter 08 against its wrong-answer corpus (tests/wrong_answers/ch08.py),
in this process.

The visible part of each graded cell must fail every mistake that declares words, with those
words in its message (here the visible tests run alone, so the hidden test's message cannot
stand in for them), and pass the solution and every correct variant. The hidden test, judged
by the evaluator's in-process session (the same requests and JSON round trip as through the
kernel), must take the points of every mistake and of every delegating answer, and give full
points to the solution and every variant. The round trip (tests/test_grading_roundtrip.py)
proves the same through the sandbox; this is the quick check while writing the tests.
"""

import contextlib
import io

import nbformat
import pytest

from course_utils.tools.grading.evaluator.local import judge_cell
from course_utils.tools.grading.feedback import hidden_test_lines
from delegating_answers import DELEGATING
from support import ROOT
from wrong_answers import corpus

CHAPTERS = ("08_preguntas_visuales",)


class Chapter:
    """One chapter's solution notebook, corpus and in-process judges."""

    def __init__(self, chapter: str):
        self.name = chapter
        self.wrong, self.variants = corpus(chapter)
        nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
        self.cells = {
            c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
        }
        self.setup = [c.source for c in nb.cells[:4] if c.cell_type == "code"]  # the parameters and the imports
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

    def visible(self, grade_id: str, answer: str) -> None:
        namespace = self.namespace(grade_id, answer)
        test = self.cells[grade_id.replace("_solucion", "_pruebas")].source.split("### BEGIN HIDDEN TESTS")[0]
        with contextlib.redirect_stdout(io.StringIO()):
            exec(test, namespace)  # noqa: S102 - the course's visible tests

    def hidden(self, grade_id: str, answer: str) -> tuple[float, float, str]:
        cell = self.cells[grade_id.replace("_solucion", "_pruebas")]
        points = cell.metadata["nbgrader"]["points"]
        verdict = judge_cell(cell.source, self.namespace(grade_id, answer), grade_id, points)
        return verdict.points, points, verdict.message


_BY_NAME = {chapter: Chapter(chapter) for chapter in CHAPTERS}
_SOLUTIONS = [(c, g) for c in CHAPTERS for g in _BY_NAME[c].solutions]
_MISTAKES = [(c, g, w) for c in CHAPTERS for g, answers in _BY_NAME[c].wrong.items() for w in answers]
_NAMED = [(c, g, w) for c, g, w in _MISTAKES if w.visible]
_VARIANTS = [
    (c, g, i, s) for c in CHAPTERS for g, sources in _BY_NAME[c].variants.items() for i, s in enumerate(sources)
]
_DELEGATING = [(c, g) for c in CHAPTERS for g in sorted(DELEGATING[c])]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_corpus_covers_every_exercise(chapter):
    ch = _BY_NAME[chapter]
    assert set(ch.wrong) == set(ch.variants) == set(ch.solutions)
    assert all(len(ch.wrong[g]) >= 3 and ch.variants[g] for g in ch.solutions)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_answer_of_the_corpus_contains_a_hidden_line(chapter):
    """The round trip requires that no feedback page of the corpus' students quotes a hidden-test
    line, not even one equal to the student's own line: the hidden lines must be specific enough
    (``return out`` is inside ``return out_image, out_text``)."""
    ch = _BY_NAME[chapter]
    needles = hidden_test_lines(ROOT, chapter)
    answers = [w.source for answers in ch.wrong.values() for w in answers]
    answers += [s for sources in ch.variants.values() for s in sources] + list(DELEGATING[chapter].values())
    lines = {line.strip() for source in answers for line in source.split("\n")}
    assert not {(n, line) for n in needles for line in lines if n in line}


@pytest.mark.parametrize("chapter, grade_id", _SOLUTIONS)
def test_the_solution_passes_visible_and_hidden_tests(chapter, grade_id):
    ch = _BY_NAME[chapter]
    ch.visible(grade_id, ch.cells[grade_id].source)
    points, full, message = ch.hidden(grade_id, ch.cells[grade_id].source)
    assert points == full, message


@pytest.mark.parametrize("chapter, grade_id, mistake", _NAMED, ids=[f"{c[:2]}-{g}-{w.name}" for c, g, w in _NAMED])
def test_the_visible_test_names_the_mistake(chapter, grade_id, mistake):
    with pytest.raises(AssertionError) as failure:
        _BY_NAME[chapter].visible(grade_id, mistake.source)
    missing = [w for w in mistake.visible if w.lower() not in str(failure.value).lower()]
    assert not missing, f"falta {missing} en: {failure.value}"


@pytest.mark.parametrize(
    "chapter, grade_id, mistake", _MISTAKES, ids=[f"{c[:2]}-{g}-{w.name}" for c, g, w in _MISTAKES]
)
def test_the_hidden_test_takes_the_points_of_the_mistake(chapter, grade_id, mistake):
    points, full, message = _BY_NAME[chapter].hidden(grade_id, mistake.source)
    must_lose = full if mistake.loses is None else mistake.loses
    assert full - points >= must_lose and message, (points, message)


@pytest.mark.parametrize(
    "chapter, grade_id, index, source", _VARIANTS, ids=[f"{c[:2]}-{g}-variante{i + 1}" for c, g, i, _ in _VARIANTS]
)
def test_a_correct_variant_keeps_every_point(chapter, grade_id, index, source):
    ch = _BY_NAME[chapter]
    ch.visible(grade_id, source)
    points, full, message = ch.hidden(grade_id, source)
    assert points == full, message


@pytest.mark.parametrize("chapter, grade_id", _DELEGATING)
def test_delegating_to_course_code_scores_zero(chapter, grade_id):
    points, _, message = _BY_NAME[chapter].hidden(grade_id, DELEGATING[chapter][grade_id])
    assert points == 0, message
