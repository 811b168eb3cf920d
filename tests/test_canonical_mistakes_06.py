"""Chapter 06 against its wrong-answer corpus (tests/wrong_answers/ch06.py), in this process.

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

from conftest import ROOT
from course_utils.tools.grading.evaluator.local import judge_cell
from course_utils.tools.grading.feedback import hidden_test_lines
from delegating_answers import DELEGATING
from wrong_answers import corpus

CHAPTER = "06_vit_clip"
WRONG, VARIANTS = corpus(CHAPTER)
_NB = nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
_CELLS = {c.metadata["nbgrader"]["grade_id"]: c for c in _NB.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
_SETUP = [c.source for c in _NB.cells[:4] if c.cell_type == "code"]  # the parameters and the imports
_SOLUTIONS = [g for g in _CELLS if g.endswith("_solucion")]


def _namespace(grade_id: str, answer: str) -> dict:
    """The notebook's imports, the solutions of the exercises before ``grade_id`` and ``answer``
    (an answer that raises leaves its names undefined, as a failed cell does in the kernel)."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in _SETUP + [_CELLS[g].source for g in _SOLUTIONS[: _SOLUTIONS.index(grade_id)]]:
            exec(source, namespace)  # noqa: S102 - the course's own notebook
        with contextlib.suppress(Exception):
            exec(answer, namespace)  # noqa: S102 - the corpus' answer
    return namespace


def _visible(grade_id: str, answer: str) -> None:
    namespace = _namespace(grade_id, answer)
    test = _CELLS[grade_id.replace("_solucion", "_pruebas")].source.split("### BEGIN HIDDEN TESTS")[0]
    with contextlib.redirect_stdout(io.StringIO()):
        exec(test, namespace)  # noqa: S102 - the course's visible tests


def _hidden(grade_id: str, answer: str) -> tuple[float, float, str]:
    cell = _CELLS[grade_id.replace("_solucion", "_pruebas")]
    points = cell.metadata["nbgrader"]["points"]
    verdict = judge_cell(cell.source, _namespace(grade_id, answer), grade_id, points)
    return verdict.points, points, verdict.message


_MISTAKES = [(g, w) for g, answers in WRONG.items() for w in answers]
_NAMED = [(g, w) for g, w in _MISTAKES if w.visible]
_VARIANTS = [(g, i, src) for g, sources in VARIANTS.items() for i, src in enumerate(sources)]


def test_the_corpus_covers_every_exercise():
    assert set(WRONG) == set(VARIANTS) == set(_SOLUTIONS)
    assert all(len(WRONG[g]) >= 3 and VARIANTS[g] for g in _SOLUTIONS)


def test_no_answer_of_the_corpus_contains_a_hidden_line():
    """The round trip requires that no feedback page of the corpus' students quotes a hidden-test
    line, not even one equal to the student's own line: the hidden lines must be specific enough
    (``return out`` is inside ``return out_image, out_text``)."""
    needles = hidden_test_lines(ROOT, CHAPTER)
    answers = [w.source for _, w in _MISTAKES] + [src for _, _, src in _VARIANTS] + list(DELEGATING[CHAPTER].values())
    lines = {line.strip() for source in answers for line in source.split("\n")}
    assert not {(n, line) for n in needles for line in lines if n in line}


@pytest.mark.parametrize("grade_id", _SOLUTIONS)
def test_the_solution_passes_visible_and_hidden_tests(grade_id):
    _visible(grade_id, _CELLS[grade_id].source)
    points, full, message = _hidden(grade_id, _CELLS[grade_id].source)
    assert points == full, message


@pytest.mark.parametrize("grade_id, mistake", _NAMED, ids=[f"{g}-{w.name}" for g, w in _NAMED])
def test_the_visible_test_names_the_mistake(grade_id, mistake):
    with pytest.raises(AssertionError) as failure:
        _visible(grade_id, mistake.source)
    missing = [w for w in mistake.visible if w.lower() not in str(failure.value).lower()]
    assert not missing, f"falta {missing} en: {failure.value}"


@pytest.mark.parametrize("grade_id, mistake", _MISTAKES, ids=[f"{g}-{w.name}" for g, w in _MISTAKES])
def test_the_hidden_test_takes_the_points_of_the_mistake(grade_id, mistake):
    points, full, message = _hidden(grade_id, mistake.source)
    must_lose = full if mistake.loses is None else mistake.loses
    assert full - points >= must_lose and message, (points, message)


@pytest.mark.parametrize("grade_id, index, source", _VARIANTS, ids=[f"{g}-variante{i + 1}" for g, i, _ in _VARIANTS])
def test_a_correct_variant_keeps_every_point(grade_id, index, source):
    _visible(grade_id, source)
    points, full, message = _hidden(grade_id, source)
    assert points == full, message


@pytest.mark.parametrize("grade_id", sorted(DELEGATING[CHAPTER]))
def test_delegating_to_course_code_scores_zero(grade_id):
    points, _, message = _hidden(grade_id, DELEGATING[CHAPTER][grade_id])
    assert points == 0, message
