"""Parallel grading stores every grade, identical to sequential grading, in SQLite and in
PostgreSQL alike: workers never write to the class gradebook, the parent does, one at a time."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions
from course_utils.tools.grading.limits import GradingLimits
from fixture_course import ASSIGNMENT, SMALL_CLASS, SMALL_CLASS_SCORES, build_course, submit

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=120)
CLASS, EXPECTED = SMALL_CLASS, SMALL_CLASS_SCORES


def _outcomes(results) -> dict[str, tuple]:
    """student → what grading decided (everything but the time it took)."""
    return {r.student: (r.status, r.score, r.max_score, r.reason, r.review) for r in results}


def _stored_grades(db_url: str) -> dict[str, dict[str, float]]:
    """student → {graded cell → score}, as the gradebook holds them."""
    with Gradebook(db_url) as gb:
        return {
            s.student.id: {g.name: float(g.score) for nb in s.notebooks for g in nb.grades}
            for s in gb.find_assignment(ASSIGNMENT).submissions
        }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("clase"))
    for student, answers in CLASS.items():
        submit(root, student, answers)
    return root


@pytest.fixture(scope="module")
def sequential(course, tmp_path_factory):
    """The class graded by one worker: the reference the parallel batches must reproduce."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('secuencial') / 'uno.db'}"
    results = grade_submissions(course, ASSIGNMENT, db_url=db_url, jobs=1, limits=LIMITS, show_progress=False)
    return _outcomes(results), _stored_grades(db_url)


def test_sequential_grading_gives_the_expected_scores(sequential):
    outcomes, grades = sequential
    assert {s: o[1] for s, o in outcomes.items()} == EXPECTED
    assert grades["b_parcial"] == {"ej1_pruebas": 1.0, "ej2_pruebas": 0.0}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parallel_grading_stores_what_sequential_grading_stores(course, sequential, backend, request, tmp_path):
    db_url = (
        f"sqlite:///{tmp_path / 'gradebook.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    results = grade_submissions(course, ASSIGNMENT, db_url=db_url, jobs=2, limits=LIMITS, show_progress=False)
    outcomes, grades = sequential
    assert _outcomes(results) == outcomes, "two workers decided otherwise than one"
    assert _stored_grades(db_url) == grades, "the gradebook holds other per-cell grades than sequential grading's"
    assert check_gradebook(db_url, ASSIGNMENT) == []
    # grading again (e.g. after a fix) updates the same rows: nothing duplicated, nothing lost
    again = grade_submissions(
        course, ASSIGNMENT, students=["b_parcial"], db_url=db_url, jobs=1, limits=LIMITS, show_progress=False
    )
    assert _outcomes(again) == {"b_parcial": outcomes["b_parcial"]}
    assert _stored_grades(db_url) == grades
