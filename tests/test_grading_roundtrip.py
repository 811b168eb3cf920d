"""nbgrader round trips: the published release filled in and submitted, autograded, feedback written and read back.

For every chapter, one batch of the course's parallel grader (`course grade`: the bwrap sandbox,
two workers) grades two students together: the solutions pasted into the release, as a student
would, score full marks and are not sent to review; answers that delegate to course code
(tests/delegating_answers.py) score 0 on exactly those exercises; no feedback page quotes a
line of the chapter's hidden tests. One real chapter (05, PyTorch) also grades its blank
release: 0 points and no review (grading it found two false alarms: torch._dynamo rewrapping
torch.manual_seed, and a hidden line also written in the demos). How blank and partly solved
notebooks score is a property of the grading, not of a chapter: it is proved on the small
fixture course with plain ``nbgrader autograde`` (one call for the whole class) and with the
course's grader."""

from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import CHAPTERS, ROOT
from course_utils.tools.environment import patched_environ
from course_utils.tools.grading.autograde import grade_submissions
from course_utils.tools.grading.bench import solution_sources, write_submission
from course_utils.tools.grading.feedback import generate_feedback, hidden_test_lines, leaks
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.release import copy_course, nbgrader_command, run_nbgrader
from delegating_answers import DELEGATING

pytestmark = pytest.mark.roundtrip

SOLVED, DELEGATES, BLANK = "alumna_solucion", "alumno_que_delega", "en_blanco"
BLANK_CHAPTER = "05_atencion_cruzada"  # the chapter whose blank release is graded too
CHAPTER_LIMITS = GradingLimits(cell_timeout=300, notebook_timeout=1200, memory_mb=6000)


def _grade_cells(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    return [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


class Batch(NamedTuple):
    root: Path  # the course copy the batch was graded in
    results: dict  # student → StudentResult
    withheld: dict  # feedback pages withheld for quoting a hidden test (path → lines)


class ChapterBatches:
    """Each chapter's submissions graded in one batch, on first use (``-k 04`` grades only 04)."""

    def __init__(self, tmp_path_factory):
        self.factory, self._done = tmp_path_factory, {}

    def __getitem__(self, chapter):
        if chapter not in self._done:
            self._done[chapter] = self._grade(chapter)
        return self._done[chapter]

    def _grade(self, chapter):
        root = copy_course(ROOT, self.factory.mktemp(f"curso{chapter[:2]}"))
        db_url = f"sqlite:///{root / 'gradebook.db'}"  # the grader adds the assignment to it
        release = ROOT / "notebooks" / chapter / f"{chapter}.ipynb"  # what students receive
        solutions = solution_sources(ROOT, chapter)
        write_submission(release, solutions, root / "submitted" / SOLVED / chapter)
        write_submission(release, solutions | DELEGATING.get(chapter, {}), root / "submitted" / DELEGATES / chapter)
        if chapter == BLANK_CHAPTER:
            write_submission(release, {}, root / "submitted" / BLANK / chapter)
        # Grading runs notebooks in FAST mode: it must never need a full training run.
        with patched_environ(COURSE_FAST="1"):
            results = grade_submissions(
                root, chapter, db_url=db_url, jobs=2, limits=CHAPTER_LIMITS, show_progress=False
            )
        withheld = generate_feedback(root, chapter, db_url)
        return Batch(root, {r.student: r for r in results}, withheld)


@pytest.fixture(scope="module")
def chapter_grades(tmp_path_factory):
    return ChapterBatches(tmp_path_factory)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(chapter_grades, chapter):
    solved = chapter_grades[chapter].results[SOLVED]
    assert solved.max_score == sum(m["points"] for m in _grade_cells(chapter))
    assert (solved.score, solved.reason, solved.review) == (solved.max_score, "", ""), solved


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_delegating_to_course_code_scores_zero(chapter_grades, chapter):
    delegated = DELEGATING[chapter]
    assert delegated, f"{chapter}: no delegating answers declared in tests/delegating_answers.py"
    result = chapter_grades[chapter].results[DELEGATES]
    lost = {g.replace("_solucion", "_pruebas") for g in delegated}
    points = {m["grade_id"]: m["points"] for m in _grade_cells(chapter)}
    assert set(lost) <= set(points), f"{chapter}: delegating answers for exercises without tests: {lost - set(points)}"
    assert result.score == result.max_score - sum(points[g] for g in lost), result


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_feedback_quotes_no_hidden_test(chapter_grades, chapter):
    batch = chapter_grades[chapter]
    needles = hidden_test_lines(batch.root, chapter)
    pages = sorted((batch.root / "feedback").glob(f"*/{chapter}/*.html"))
    assert needles and len(pages) == len(batch.results) and batch.withheld == {}, batch.withheld
    assert [p for p in pages if leaks(p.read_text(encoding="utf-8"), needles)] == []


@pytest.mark.parametrize("chapter", [BLANK_CHAPTER])  # a parameter: grouped with its chapter's batch
def test_blank_release_of_a_real_chapter_scores_zero(chapter_grades, chapter):
    blank = chapter_grades[chapter].results[BLANK]
    assert (blank.score, blank.review) == (0, "") and blank.max_score > 0, blank


# --- blank and partial notebooks, on the fixture course (tests/grading/fixture_course.py) ---------


@pytest.fixture(scope="module")
def fixture_class(tmp_path_factory):
    """The fixture course's class graded by plain ``nbgrader autograde`` in one call."""
    from grading.fixture_course import ASSIGNMENT, CORRECT, SOLUTIONS, build_course, generate_assignment, submit

    root = build_course(tmp_path_factory.mktemp("tarea"))
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    generate_assignment(root, db_url, root / "release")
    instructor = {g: src for g, src in SOLUTIONS.items()}  # with nbgrader's solution markers
    for student, answers in {
        "solucion": instructor,
        "en_blanco": {},
        "parcial": {"ej1_solucion": CORRECT["ej1_solucion"]},
        "solo_la_segunda": {"ej2_solucion": CORRECT["ej2_solucion"]},
    }.items():
        submit(root, student, answers)
    run_nbgrader(
        nbgrader_command("autograde", ASSIGNMENT, "--force", root=root, extra=[f"--CourseDirectory.db_url={db_url}"]),
        cwd=root,
    )
    with Gradebook(db_url) as gb:
        return {s.student.id: (s.score, s.max_score) for s in gb.find_assignment(ASSIGNMENT).submissions}


def test_blank_release_scores_zero(fixture_class):
    assert fixture_class["en_blanco"] == (0, 3)


def test_one_exercise_solved_scores_its_points(fixture_class):
    # ej1 is worth 1 point and ej2 2 (fixture_course.TESTS): each solved alone scores exactly its own
    assert fixture_class["parcial"] == (1, 3)
    assert fixture_class["solo_la_segunda"] == (2, 3)


def test_solution_scores_full_marks_with_plain_nbgrader(fixture_class):
    assert fixture_class["solucion"] == (3, 3)
