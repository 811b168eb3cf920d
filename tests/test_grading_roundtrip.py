"""nbgrader round trips: the published release filled in and submitted, autograded, feedback written and read back.

For every chapter, one batch of the course's parallel grader (`course grade`: the bwrap sandbox,
two workers, the trusted evaluator) grades together: the solutions pasted into the release, as a
student would — full marks, no review; answers that delegate to course code
(tests/delegating_answers.py) — 0 on exactly those exercises; the blank release — 0; and the
chapter's wrong-answer corpus (tests/wrong_answers/) — every mistake loses its points, the
visible test names the mistakes it is meant to catch, every correct variant keeps its points.
No feedback page quotes a line of the chapter's hidden tests. How blank and partly solved
notebooks score is a property of the grading, not of a chapter: it is proved on the small
fixture course with plain ``nbgrader autograde`` (one call for the whole class) and with the
course's grader."""

from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_utils.tools.environment import patched_environ
from course_utils.tools.grading.autograde import grade_submissions
from course_utils.tools.grading.bench import solution_sources, write_submission
from course_utils.tools.grading.feedback import generate_feedback, hidden_test_lines, leaks
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.release import copy_course, nbgrader_command, run_nbgrader
from delegating_answers import DELEGATING
from support import CHAPTERS, ROOT
from wrong_answers import corpus
from wrong_answers import students as corpus_students

pytestmark = pytest.mark.roundtrip

SOLVED, DELEGATES, BLANK = "alumna_solucion", "alumno_que_delega", "en_blanco"
CHAPTER_LIMITS = GradingLimits(cell_timeout=300, notebook_timeout=1200, memory_mb=6000)


def _grade_cells(chapter):
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    return [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


class Batch(NamedTuple):
    root: Path  # the course copy the batch was graded in
    results: dict  # student → StudentResult
    withheld: dict  # feedback pages withheld for quoting a hidden test (path → lines)
    db_url: str

    def cell_scores(self, chapter: str, student: str) -> dict[str, float]:
        """The gradebook's score of each graded cell of ``student``'s submission."""
        with Gradebook(self.db_url) as gb:
            nb = gb.find_submission_notebook(chapter, chapter, student)
            return {g.name: g.score for g in nb.grades}

    def why(self, chapter: str, student: str) -> str:
        """A student's status, reason and the last lines of the grading log (for a failure message)."""
        result, log = self.results[student], self.root / "grading" / chapter / "logs" / f"{student}.log"
        tail = log.read_text(encoding="utf-8").splitlines()[-15:] if log.exists() else ["(sin log)"]
        return f"{result.status} {result.score}/{result.max_score} {result.reason!r}\n" + "\n".join(tail)

    def cell_output(self, chapter: str, student: str, grade_id: str) -> str:
        """What the kernel printed in a graded cell of the autograded notebook (visible tests)."""
        path = self.root / "autograded" / student / chapter / f"{chapter}.ipynb"
        assert path.exists(), f"{student}: no autograded notebook — {self.why(chapter, student)}"
        (cell,) = [
            c
            for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        ]
        return "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) for o in cell.get("outputs", []))


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
        write_submission(release, {}, root / "submitted" / BLANK / chapter)
        for student, answers in corpus_students(chapter, solutions).items():
            write_submission(release, solutions | answers, root / "submitted" / student / chapter)
        # Grading runs notebooks in FAST mode: it must never need a full training run.
        with patched_environ(COURSE_FAST="1"):
            results = grade_submissions(
                root, chapter, db_url=db_url, jobs=2, limits=CHAPTER_LIMITS, show_progress=False
            )
        withheld = generate_feedback(root, chapter, db_url)
        return Batch(root, {r.student: r for r in results}, withheld, db_url)


@pytest.fixture(scope="module")
def chapter_grades(tmp_path_factory):
    return ChapterBatches(tmp_path_factory)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(chapter_grades, chapter):
    solved = chapter_grades[chapter].results[SOLVED]
    assert solved.max_score == sum(m["points"] for m in _grade_cells(chapter))
    assert (solved.score, solved.reason, solved.review) == (solved.max_score, "", ""), solved
    # the teacher's log keeps each hidden test's secret seed (a disputed verdict is replayed with it)
    log = (chapter_grades[chapter].root / "grading" / chapter / "logs" / f"{SOLVED}.log").read_text(encoding="utf-8")
    (line,) = [line for line in log.splitlines() if "course-evaluator secret seeds:" in line]
    seeds = dict(item.split("=") for item in line.split("secret seeds:")[1].split())
    assert set(seeds) == {m["grade_id"] for m in _grade_cells(chapter)} and all(s.isdigit() for s in seeds.values())


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
    without = {s: batch.why(chapter, s) for s in batch.results if not any(p.parts[-3] == s for p in pages)}
    assert needles and not without and batch.withheld == {}, (without, batch.withheld)
    assert [p for p in pages if leaks(p.read_text(encoding="utf-8"), needles)] == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_release_of_every_chapter_scores_zero(chapter_grades, chapter):
    blank = chapter_grades[chapter].results[BLANK]
    assert (blank.score, blank.review) == (0, "") and blank.max_score > 0, blank


def _test_id(solution_id: str) -> str:
    return solution_id.replace("_solucion", "_pruebas")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_corpus_covers_every_exercise(chapter):
    """At least three plausible mistakes and one correct variant per graded exercise."""
    wrong, variants = corpus(chapter)
    graded = {m["grade_id"] for m in _grade_cells(chapter)}
    short = {g for g in graded if len(wrong.get(g.replace("_pruebas", "_solucion"), [])) < 3}
    unvaried = {g for g in graded if not variants.get(g.replace("_pruebas", "_solucion"))}
    assert not short and not unvaried, f"{chapter}: < 3 mistakes {sorted(short)}; no variant {sorted(unvaried)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_wrong_answer_loses_its_points(chapter_grades, chapter):
    batch, (wrong, _) = chapter_grades[chapter], corpus(chapter)
    points = {m["grade_id"]: m["points"] for m in _grade_cells(chapter)}
    # a mistake loses its points to the hidden tests, not to a grading that failed
    students = {f"error_{i + 1}" for answers in wrong.values() for i in range(len(answers))}
    failed = {s: batch.why(chapter, s) for s in sorted(students) if batch.results[s].status != "ok"}
    assert not failed, failed
    kept = []
    for solution_id, answers in wrong.items():
        for i, answer in enumerate(answers):
            score = batch.cell_scores(chapter, f"error_{i + 1}")[_test_id(solution_id)]
            must_lose = points[_test_id(solution_id)] if answer.loses is None else answer.loses
            if points[_test_id(solution_id)] - score < must_lose:
                kept.append(f"{solution_id} «{answer.name}»: {score}/{points[_test_id(solution_id)]}")
    assert not kept, f"{chapter}: wrong answers that kept points: {kept}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_visible_tests_name_the_mistake(chapter_grades, chapter):
    batch, (wrong, _) = chapter_grades[chapter], corpus(chapter)
    unnamed = []
    for solution_id, answers in wrong.items():
        for i, answer in enumerate(answers):
            if answer.visible:
                shown = batch.cell_output(chapter, f"error_{i + 1}", _test_id(solution_id)).lower()
                missing = [w for w in answer.visible if w.lower() not in shown]
                if missing:
                    unnamed.append(f"{solution_id} «{answer.name}»: falta {missing} en {shown[:300]!r}")
    assert not unnamed, f"{chapter}: " + "\n".join(unnamed)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_correct_variant_keeps_its_points(chapter_grades, chapter):
    batch, (_, variants) = chapter_grades[chapter], corpus(chapter)
    points = {m["grade_id"]: m["points"] for m in _grade_cells(chapter)}
    lost = []
    for solution_id, sources in variants.items():
        for j in range(len(sources)):
            score = batch.cell_scores(chapter, f"variante_{j + 1}")[_test_id(solution_id)]
            if score != points[_test_id(solution_id)]:
                lost.append(f"{solution_id} variante {j + 1}: {score}/{points[_test_id(solution_id)]}")
    assert not lost, f"{chapter}: correct variants that lost points: {lost}"


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
