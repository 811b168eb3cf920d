"""Chapter 07 against its wrong-answer corpus (tests/wrong_answers/ch07.py), in this process.

The same checks as tests/test_canonical_mistakes_05_06.py (whose ``Chapter`` runs the notebook's
setup cells, the visible part of a graded cell and its hidden test through the evaluator's
in-process session): the visible tests name each declared mistake and pass the solution and
every correct variant; the hidden test takes the points of every mistake and of every delegating
answer and gives full points to the solution and every variant.
"""

import pytest

from conftest import ROOT
from course_utils.tools.grading.feedback import hidden_test_lines
from delegating_answers import DELEGATING
from test_canonical_mistakes_05_06 import Chapter

CHAPTER = "07_codificador_decodificador"
CH = Chapter(CHAPTER)
_MISTAKES = [(g, w) for g, answers in CH.wrong.items() for w in answers]
_NAMED = [(g, w) for g, w in _MISTAKES if w.visible]
_VARIANTS = [(g, i, s) for g, sources in CH.variants.items() for i, s in enumerate(sources)]


def test_the_corpus_covers_every_exercise():
    assert set(CH.wrong) == set(CH.variants) == set(CH.solutions)
    assert len(CH.solutions) >= 4
    assert all(len(CH.wrong[g]) >= 3 and CH.variants[g] for g in CH.solutions)


def test_no_answer_of_the_corpus_contains_a_hidden_line():
    needles = hidden_test_lines(ROOT, CHAPTER)
    answers = [w.source for answers in CH.wrong.values() for w in answers]
    answers += [s for sources in CH.variants.values() for s in sources] + list(DELEGATING[CHAPTER].values())
    lines = {line.strip() for source in answers for line in source.split("\n")}
    assert not {(n, line) for n in needles for line in lines if n in line}


@pytest.mark.parametrize("grade_id", CH.solutions)
def test_the_solution_passes_visible_and_hidden_tests(grade_id):
    CH.visible(grade_id, CH.cells[grade_id].source)
    points, full, message = CH.hidden(grade_id, CH.cells[grade_id].source)
    assert points == full, message


@pytest.mark.parametrize("grade_id, mistake", _NAMED, ids=[f"{g}-{w.name}" for g, w in _NAMED])
def test_the_visible_test_names_the_mistake(grade_id, mistake):
    with pytest.raises(AssertionError) as failure:
        CH.visible(grade_id, mistake.source)
    missing = [w for w in mistake.visible if w.lower() not in str(failure.value).lower()]
    assert not missing, f"falta {missing} en: {failure.value}"


@pytest.mark.parametrize("grade_id, mistake", _MISTAKES, ids=[f"{g}-{w.name}" for g, w in _MISTAKES])
def test_the_hidden_test_takes_the_points_of_the_mistake(grade_id, mistake):
    points, full, message = CH.hidden(grade_id, mistake.source)
    must_lose = full if mistake.loses is None else mistake.loses
    assert full - points >= must_lose and message, (points, message)


@pytest.mark.parametrize("grade_id, index, source", _VARIANTS, ids=[f"{g}-variante{i + 1}" for g, i, _ in _VARIANTS])
def test_a_correct_variant_keeps_every_point(grade_id, index, source):
    CH.visible(grade_id, source)
    points, full, message = CH.hidden(grade_id, source)
    assert points == full, message


@pytest.mark.parametrize("grade_id", sorted(DELEGATING[CHAPTER]))
def test_delegating_to_course_code_scores_zero(grade_id):
    points, _, message = CH.hidden(grade_id, DELEGATING[CHAPTER][grade_id])
    assert points == 0, message
