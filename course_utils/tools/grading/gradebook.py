"""The gradebooks of a grading batch: the class gradebook (written by the parent process only,
one student at a time), the per-student template made from the assignment alone, and the
integrity check run afterwards."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from ..nbgrader_main import read_schema_version_in_process
from ..release import nbgrader_command, run_nbgrader

read_schema_version_in_process()  # this process creates gradebooks too (the class gradebook)


def default_db_url(course_root: Path) -> str:
    return f"sqlite:///{course_root / 'gradebook.db'}"


def sqlite_file(db_url: str) -> Path | None:
    """The database file of a ``sqlite:///…`` URL, or None for any other database."""
    return Path(db_url[len("sqlite:///") :]) if db_url.startswith("sqlite:///") else None


def ensure_assignment(course_root: Path, assignment: str, db_url: str, workdir: Path, template_db: Path) -> None:
    """Add ``assignment`` (from ``solutions/``) to the gradebook at ``db_url`` if it is missing.
    A class gradebook that does not exist yet starts as a copy of the batch's template (what
    ``generate_assignment`` would write into it, without running it a second time)."""
    db_file = sqlite_file(db_url)
    if db_file is not None and not db_file.exists():
        db_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, db_file)
        return
    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    if not (course_root / "solutions" / assignment).is_dir():
        raise SystemExit(f"No existe solutions/{assignment}/ en {course_root}: ¿nombre de tarea correcto?")
    generate_assignment(course_root, assignment, db_url, release_dir=workdir / "release")


def generate_assignment(course_root: Path, assignment: str, db_url: str, release_dir: Path | None = None) -> None:
    """``nbgrader generate_assignment --force`` of ``assignment`` into the gradebook at ``db_url``
    (and the student version into ``release_dir``, by default the course's ``release/``)."""
    extra = [f"--CourseDirectory.db_url={db_url}"]
    if release_dir is not None:
        extra.append(f"--CourseDirectory.release_directory={release_dir}")
    run_nbgrader(
        nbgrader_command("generate_assignment", assignment, "--force", root=course_root, extra=extra), cwd=course_root
    )


def template_gradebook(course_root: Path, assignment: str, workdir: Path) -> Path:
    """A gradebook holding only ``assignment``'s definition, made in a trusted folder."""
    template = workdir / "template"
    (template / "solutions").mkdir(parents=True)
    os.chmod(template, 0o700)  # holds the solutions and hidden tests: grader only
    shutil.copytree(course_root / "solutions" / assignment, template / "solutions" / assignment, symlinks=True)
    shutil.copy2(course_root / "nbgrader_config.py", template / "nbgrader_config.py")
    db = template / "gradebook.db"
    generate_assignment(template, assignment, f"sqlite:///{db}")
    return db


def read_scores(db_url: str, assignment: str, student: str) -> dict | None:
    """Scores of one submission from a (private) gradebook, or None when nbgrader saved none."""
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        grades = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grades[(notebook.name, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
        if any(score is None and not manual for score, manual in grades.values()):
            return None
        comments = {(nb.name, c.name): c.auto_comment for nb in submission.notebooks for c in nb.comments}
        return {"timestamp": submission.timestamp, "grades": grades, "comments": comments}


def _is_held(grade) -> bool:
    """A grade held by :func:`store_scores`: the automatic score kept, a manual 0 over it, still
    waiting for the teacher (formgrader clears ``needs_manual_grade`` when the teacher scores it)."""
    return grade.auto_score is not None and grade.manual_score == 0 and bool(grade.needs_manual_grade)


def store_scores(
    db_url: str, assignment: str, student: str, scores: dict | None, hold: bool = False
) -> tuple[float, float, float]:
    """Write one student's scores into the class gradebook (all zero when ``scores`` is None);
    return ``(score, max_score, held)``.

    With ``hold`` (a submission flagged for manual review) the automatic scores are stored as
    nbgrader's ``auto_score`` but **held**: each cell gets a manual score of 0 and needs a manual
    grade, so the gradebook's total, ``grades.csv`` and the feedback count 0 for them until the
    teacher decides — in formgrader (scoring the cell) or with :func:`release_held`
    (``course grade release``). ``held`` is the automatic points so withheld. Storing a later,
    unflagged grading clears a hold the teacher has not touched.

    nbgrader's ``update_or_create_submission`` triggers SQLAlchemy "not in session" warnings
    about objects it adds itself; they are harmless and hidden from the teacher."""
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.filterwarnings("ignore", message=".*not in session.*")
        gb.update_or_create_student(student)
        timestamp = scores["timestamp"] if scores else None
        submission = gb.update_or_create_submission(
            assignment, student, **({"timestamp": timestamp} if timestamp else {})
        )
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                auto, manual = (
                    (0.0, False) if scores is None else scores["grades"].get((notebook.name, grade.name), (0.0, False))
                )
                if _is_held(grade):  # an earlier hold: this grading decides afresh
                    grade.manual_score = None
                grade.auto_score, grade.needs_manual_grade = auto, manual
                if hold and scores is not None and auto is not None:
                    grade.manual_score, grade.needs_manual_grade = 0.0, True
            for comment in notebook.comments:
                comment.auto_comment = None if scores is None else scores["comments"].get((notebook.name, comment.name))
        gb.db.commit()
        return _totals(gb, assignment, student)


def _totals(gb: Gradebook, assignment: str, student: str) -> tuple[float, float, float]:
    submission = gb.find_submission(assignment, student)
    held = sum(g.auto_score for nb in submission.notebooks for g in nb.grades if _is_held(g))
    return float(submission.score), float(submission.max_score), float(held)


def held_points(db_url: str, assignment: str) -> dict[str, float]:
    """Students of ``assignment`` with points held for review: student → points held."""
    with Gradebook(db_url) as gb:
        found = {
            s.student.id: sum(g.auto_score for nb in s.notebooks for g in nb.grades if _is_held(g))
            for s in gb.find_assignment(assignment).submissions
        }
    return {student: float(points) for student, points in found.items() if points}


def release_held(db_url: str, assignment: str, student: str) -> tuple[float, float, float]:
    """The teacher's decision to accept the automatic scores of a held submission: every held
    cell of ``student`` gets its automatic score back (cells the teacher already scored by hand
    keep that score). Returns ``(score, max_score, points released)``."""
    with Gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        released = 0.0
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if _is_held(grade):
                    released += grade.auto_score
                    grade.manual_score, grade.needs_manual_grade = None, False
        gb.db.commit()
        score, max_score, _ = _totals(gb, assignment, student)
        return score, max_score, float(released)


def check_gradebook(db_url: str, assignment: str) -> list[str]:
    """Integrity problems of ``assignment`` in a gradebook (an empty list when it is sound):
    every submission has every grade cell, each auto score is set and within [0, max], and the
    schema is nbgrader's (no trigger, view or foreign table: :mod:`.integrity`)."""
    from .integrity import schema_problems

    problems = schema_problems(db_url)
    db_file = sqlite_file(db_url)
    if db_file is not None:
        import sqlite3

        with sqlite3.connect(db_file) as con:
            verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            problems.append(f"SQLite integrity_check: {verdict}")
    with Gradebook(db_url) as gb:
        expected = {(nb.name, gc.name) for nb in gb.find_assignment(assignment).notebooks for gc in nb.grade_cells}
        for submission in gb.find_assignment(assignment).submissions:
            seen = set()
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    seen.add((notebook.name, grade.name))
                    if grade.auto_score is None and not grade.needs_manual_grade:
                        problems.append(f"{submission.student.id}: {grade.name} sin nota")
                    elif grade.auto_score is not None and not 0 <= grade.auto_score <= grade.max_score:
                        problems.append(f"{submission.student.id}: {grade.name} = {grade.auto_score} fuera de rango")
            if seen != expected:
                problems.append(f"{submission.student.id}: faltan celdas calificables {sorted(expected - seen)}")
    return problems


def assignment_notebooks(db_url: str, assignment: str) -> list[str]:
    """File names of ``assignment``'s notebooks (``name.ipynb``), as the gradebook knows them."""
    with Gradebook(db_url) as gb:
        return sorted(f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment).notebooks)
