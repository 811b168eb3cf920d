"""nbgrader round trip on a temporary copy of the course: generate the release, submit,
autograde, and read the scores back from the gradebook.

For every chapter: the solutions (pasted into the release, as a student would) score full
marks; the untouched release scores 0; solving only the first exercise scores exactly
that exercise's points; answers that delegate to course code score 0 on those exercises."""

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import CHAPTERS, ROOT
from delegating_answers import DELEGATING
from course_utils.tools.environment import patched_environ
from course_utils.tools.grading.bench import solution_sources, write_submission
from course_utils.tools.release import copy_course, nbgrader_command, run_nbgrader

pytestmark = pytest.mark.roundtrip


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(ROOT, tmp_path_factory.mktemp("course"))
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    for chapter in CHAPTERS:
        run_nbgrader(nbgrader_command("generate_assignment", chapter, "--force", root=root,
                                      extra=[f"--CourseDirectory.db_url={db_url}"]), cwd=root)
    # Grading runs notebooks in FAST mode: it must never need a full training run.
    with patched_environ(COURSE_FAST="1"):
        yield root, db_url


def _solution_sources(chapter):
    return solution_sources(ROOT, chapter)


def _grade_cells(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    return [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _submit_and_grade(root, db_url, chapter, student, solved, replaced=None):
    """Submit the release with the solution cells in ``solved`` filled in (``replaced`` overrides
    some of them with other code); return (score, max)."""
    solutions = _solution_sources(chapter)
    answers = {g: solutions[g] for g in solved} | (replaced or {})
    write_submission(root / "notebooks" / chapter / f"{chapter}.ipynb", answers, root / "submitted" / student / chapter)
    run_nbgrader(nbgrader_command("autograde", chapter, "--force", f"--student={student}", root=root,
                                  extra=[f"--CourseDirectory.db_url={db_url}"]), cwd=root)
    with Gradebook(db_url) as gb:
        submission = gb.find_submission(chapter, student)
        return submission.score, submission.max_score


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(course, chapter):
    root, db_url = course
    score, max_score = _submit_and_grade(root, db_url, chapter, "alumna_solucion", set(_solution_sources(chapter)))
    assert max_score == sum(m["points"] for m in _grade_cells(chapter))
    assert score == max_score


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_release_scores_zero(course, chapter):
    root, db_url = course
    score, max_score = _submit_and_grade(root, db_url, chapter, "alumno_en_blanco", set())
    assert max_score > 0
    assert score == 0


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_one_exercise_solved_scores_its_points(course, chapter):
    root, db_url = course
    first_solution = next(iter(_solution_sources(chapter)))
    score, _ = _submit_and_grade(root, db_url, chapter, "alumno_parcial", {first_solution})
    first_tests = _grade_cells(chapter)[0]
    assert score == first_tests["points"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_delegating_to_course_code_scores_zero(course, chapter):
    root, db_url = course
    delegated = DELEGATING[chapter]
    assert delegated, f"{chapter}: no delegating answers declared in tests/delegating_answers.py"
    score, max_score = _submit_and_grade(root, db_url, chapter, "alumno_que_delega",
                                         set(_solution_sources(chapter)), delegated)
    lost = {g.replace("_solucion", "_pruebas") for g in delegated}
    points = {m["grade_id"]: m["points"] for m in _grade_cells(chapter)}
    assert score == max_score - sum(points[g] for g in lost)
