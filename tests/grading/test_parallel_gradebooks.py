"""Parallel grading stores every grade, identical to sequential grading, in SQLite and in
PostgreSQL alike: workers never write to the class gradebook, the parent does, one at a time."""
from __future__ import annotations

import pytest

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions
from course_utils.tools.grading.limits import GradingLimits
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=120)
CLASS = {
    "a_correcta": CORRECT,
    "b_parcial": {"ej1_solucion": CORRECT["ej1_solucion"]},
    "c_en_blanco": {},
    "d_solo_ej2": {"ej2_solucion": CORRECT["ej2_solucion"]},
}
EXPECTED = {"a_correcta": 3.0, "b_parcial": 1.0, "c_en_blanco": 0.0, "d_solo_ej2": 2.0}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("clase"))
    for student, answers in CLASS.items():
        submit(root, student, answers)
    return root


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parallel_grading_stores_every_grade(course, backend, request, tmp_path):
    db_url = (f"sqlite:///{tmp_path / 'gradebook.db'}" if backend == "sqlite"
              else request.getfixturevalue("postgres_url"))
    results = grade_submissions(course, ASSIGNMENT, db_url=db_url, jobs=2, limits=LIMITS, show_progress=False)
    assert {r.student: r.score for r in results} == EXPECTED
    assert check_gradebook(db_url, ASSIGNMENT) == []
    # grading again (e.g. after a fix) updates the same rows: nothing duplicated, nothing lost
    again = grade_submissions(course, ASSIGNMENT, students=["b_parcial"], db_url=db_url, jobs=1, limits=LIMITS,
                              show_progress=False)
    assert again[0].score == 1.0
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        stored = {s.student.id: float(s.score) for s in gb.find_assignment(ASSIGNMENT).submissions}
    assert stored == EXPECTED


def test_sequential_and_parallel_give_identical_scores(course, tmp_path):
    one = grade_submissions(course, ASSIGNMENT, db_url=f"sqlite:///{tmp_path / 'uno.db'}", jobs=1,
                            limits=LIMITS, show_progress=False)
    assert {r.student: r.score for r in one} == EXPECTED
