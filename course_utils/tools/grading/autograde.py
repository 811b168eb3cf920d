"""Parallel, isolated autograding on top of ``nbgrader autograde``.

Each student is graded by nbgrader itself, in a worker process under
:class:`~course_utils.tools.grading.sandbox.GradingLimits`, inside a private scratch course that
holds only that student's submission and a private SQLite gradebook made from the assignment
alone (no other student's grades, no solution notebooks). The parent process then copies the
scores into the class gradebook **one student at a time**, so concurrent workers never write
to it: no "database is locked", no lost grade, with SQLite or PostgreSQL alike.
"""
from __future__ import annotations

import csv
import os
import secrets
import shutil
import sys
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from nbgrader.api import Gradebook, MissingEntry

from ..environment import patched_environ, tool_environment
from ..release import nbgrader_command, run_nbgrader
from .preprocessors import CONFIG_LINES, MISSING_CELL_MARK
from .sandbox import GradingLimits, drops_privileges, hand_over, run_limited, sandbox_environment
from .zygote import Zygote


@dataclass
class StudentResult:
    """What happened to one student's submission (``reason`` is in Spanish, for the teacher)."""

    student: str
    status: str            # "ok" or "fallo"
    score: float
    max_score: float
    seconds: float
    reason: str = ""


def default_db_url(course_root: Path) -> str:
    return f"sqlite:///{course_root / 'gradebook.db'}"


def sqlite_file(db_url: str) -> Path | None:
    """The database file of a ``sqlite:///…`` URL, or None for any other database."""
    return Path(db_url[len("sqlite:///"):]) if db_url.startswith("sqlite:///") else None


def submitted_students(course_root: Path, assignment: str) -> list[str]:
    """Students with a folder for ``assignment`` under ``submitted/``, sorted."""
    base = course_root / "submitted"
    return sorted(d.name for d in base.iterdir() if (d / assignment).is_dir()) if base.is_dir() else []


def ensure_assignment(course_root: Path, assignment: str, db_url: str, workdir: Path) -> None:
    """Add ``assignment`` (from ``solutions/``) to the gradebook at ``db_url`` if it is missing."""
    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    if not (course_root / "solutions" / assignment).is_dir():
        raise SystemExit(f"No existe solutions/{assignment}/ en {course_root}: ¿nombre de tarea correcto?")
    run_nbgrader(nbgrader_command("generate_assignment", assignment, "--force", root=course_root,
                                  extra=[f"--CourseDirectory.db_url={db_url}",
                                         f"--CourseDirectory.release_directory={workdir / 'release'}"]),
                 cwd=course_root)


def _template_gradebook(course_root: Path, assignment: str, workdir: Path) -> Path:
    """A gradebook holding only ``assignment``'s definition, made in a trusted folder."""
    template = workdir / "template"
    (template / "solutions").mkdir(parents=True)
    os.chmod(template, 0o700)                 # holds the solutions and hidden tests: grader only
    shutil.copytree(course_root / "solutions" / assignment, template / "solutions" / assignment)
    shutil.copy2(course_root / "nbgrader_config.py", template / "nbgrader_config.py")
    db = template / "gradebook.db"
    run_nbgrader(nbgrader_command("generate_assignment", assignment, "--force", root=template,
                                  extra=[f"--CourseDirectory.db_url=sqlite:///{db}"]), cwd=template)
    return db


def _copy_regular_files(source: Path, dest: Path, skip_notebooks: bool = False) -> None:
    """Copy the regular files under ``source``; symbolic links (which could point at any file
    the grader can read) and checkpoints are left behind."""
    for path in source.rglob("*"):
        if path.is_symlink() or not path.is_file() or ".ipynb_checkpoints" in path.parts:
            continue
        if skip_notebooks and path.suffix == ".ipynb":
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    dest.mkdir(parents=True, exist_ok=True)


def _workspace(course_root: Path, assignment: str, student: str, template_db: Path, workdir: Path) -> Path:
    """The private scratch course for one student: config, their submission, a gradebook copy.

    It lives under an unguessable name in a folder nobody can list, so a student's code
    (running as the unprivileged user) cannot find another student's workspace."""
    ws = workdir / "students" / f"{secrets.token_hex(16)}-{student}"
    (ws / "home").mkdir(parents=True)
    config = (course_root / "nbgrader_config.py").read_text(encoding="utf-8") + CONFIG_LINES
    # nbgrader only logs a broken config file and goes on with defaults: refuse instead
    compile(config, str(course_root / "nbgrader_config.py"), "exec")
    (ws / "nbgrader_config.py").write_text(config, encoding="utf-8")
    # data files only, never the solution notebooks
    _copy_regular_files(course_root / "solutions" / assignment, ws / "solutions" / assignment, skip_notebooks=True)
    _copy_regular_files(course_root / "submitted" / student / assignment, ws / "submitted" / student / assignment)
    shutil.copyfile(template_db, ws / "gradebook.db")
    return ws


_PROBLEMS = (  # (text in nbgrader's log, what a teacher should read)
    ("DeadKernelError", "el kernel murió durante la ejecución (sys.exit/os._exit, memoria o una señal)"),
    ("Kernel died", "el kernel murió durante la ejecución (sys.exit/os._exit, memoria o una señal)"),
    ("NotJSONError", "el notebook entregado no es JSON válido (fichero dañado)"),
    ("Notebook does not appear to be JSON", "el notebook entregado no es JSON válido (fichero dañado)"),
    ("JSONDecodeError", "el notebook entregado no es JSON válido (fichero dañado)"),
    ("No submitted file", "falta el notebook de la tarea (¿nombre de fichero distinto?)"),
    ("No notebooks found", "falta el notebook de la tarea (¿nombre de fichero distinto?)"),
    ("failed to validate", "se modificaron los metadatos de calificación del notebook (nbgrader lo rechaza)"),
    ("KeyError: 'grade_id'", "se modificaron los metadatos de calificación del notebook (nbgrader lo rechaza)"),
    ("CellTimeoutError", "una celda superó el tiempo máximo por celda"),
    ("MemoryError", "se superó el límite de memoria"),
)
# Errors inside the graded notebook worth telling the teacher about (ordinary test failures are not).
_CELL_ERRORS = {
    "KeyboardInterrupt": "superó el tiempo máximo por celda y se interrumpió",
    "MemoryError": "se quedó sin memoria (límite de {memory} MiB)",
    "SystemExit": "llamó a sys.exit()",
    "DeadKernelError": "el kernel murió en esta celda (os._exit, una señal o la memoria); se reinició, se repitieron "
                       "las celdas anteriores y la calificación siguió",
}


def _notebook_notes(notebook_dir: Path, limits: GradingLimits) -> list[str]:
    """Notes about notable errors in the autograded notebooks of ``notebook_dir``."""
    import nbformat

    notes = []
    for path in sorted(notebook_dir.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a damaged output notebook is reported elsewhere
            continue
        for index, cell in enumerate(nb.cells):
            where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"celda {index}"
            if MISSING_CELL_MARK in cell.source:
                notes.append(f"{where}: faltaba en la entrega y se restauró desde el gradebook")
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                text = out.get("ename", "") + " " + out.get("evalue", "")
                if "network access blocked" in text:
                    notes.append(f"{where}: intentó conectarse a la red (bloqueado)")
                elif out.get("ename") in _CELL_ERRORS:
                    notes.append(f"{where}: " + _CELL_ERRORS[out["ename"]].format(memory=limits.memory_mb))
    return notes


def _explain(output: str, timed_out: bool, limits: GradingLimits, graded: bool,
             notebook_dir: Path | None = None) -> str:
    """Teacher-readable notes from nbgrader's log and the graded notebook; says why a student
    got 0 when nothing was saved."""
    if timed_out:
        return f"superó el tiempo máximo por notebook ({limits.notebook_timeout} s); se le asigna 0"
    notes = list(dict.fromkeys(reason for needle, reason in _PROBLEMS if needle in output))
    if notebook_dir is not None and notebook_dir.is_dir():
        cell_notes = _notebook_notes(notebook_dir, limits)
        # a dead kernel the grading survived is told once, at the cell where it happened
        if any("kernel murió" in note for note in cell_notes):
            notes = [note for note in notes if "kernel murió" not in note]
        notes = list(dict.fromkeys(cell_notes + notes))
    if graded:
        return "; ".join(notes)
    if not notes:
        tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
        notes = ["nbgrader no pudo calificar la entrega (últimas líneas: " + " | ".join(tail)[-300:] + ")"]
    return "; ".join(notes) + "; se le asigna 0"


FEEDBACK_NOTE = "**Nota de la corrección automática:** {reason}."


def _note_in_notebooks(notebook_dir: Path, reason: str) -> None:
    """Put the teacher-readable reason at the top of each autograded notebook, so that
    nbgrader's feedback HTML shows the student why marks were lost besides failed tests."""
    import nbformat

    for path in notebook_dir.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(FEEDBACK_NOTE.format(reason=reason)))
        nbformat.write(nb, path)


def _read_scores(db_url: str, assignment: str, student: str) -> dict | None:
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


def _store(db_url: str, assignment: str, student: str, scores: dict | None) -> tuple[float, float]:
    """Write one student's scores into the class gradebook (all zero when ``scores`` is None).

    nbgrader's ``update_or_create_submission`` triggers SQLAlchemy "not in session" warnings
    about objects it adds itself; they are harmless and hidden from the teacher."""
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.filterwarnings("ignore", message=".*not in session.*")
        gb.update_or_create_student(student)
        timestamp = scores["timestamp"] if scores else None
        submission = gb.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                auto, manual = (0.0, False) if scores is None else scores["grades"].get((notebook.name, grade.name), (0.0, False))
                grade.auto_score, grade.needs_manual_grade = auto, manual
            for comment in notebook.comments:
                comment.auto_comment = None if scores is None else scores["comments"].get((notebook.name, comment.name))
        gb.db.commit()
        submission = gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


def _grade_in_sandbox(course_root: Path, assignment: str, student: str, template_db: Path, workdir: Path,
                      limits: GradingLimits, threads: int, zygotes: "_Zygotes") -> tuple[dict | None, float, str, Path]:
    ws = _workspace(course_root, assignment, student, template_db, workdir)
    db_url = f"sqlite:///{ws / 'gradebook.db'}"
    command = nbgrader_command("autograde", assignment, "--force", f"--student={student}", root=ws,
                               extra=[f"--CourseDirectory.db_url={db_url}", *limits.nbgrader_options()])
    hand_over(ws)
    result = run_limited(command, ws, sandbox_environment(ws / "home", threads=threads), limits,
                         zygote=zygotes.for_this_thread())
    # nbgrader exits non-zero when it could not grade the notebook (kernel died, unreadable file…);
    # whatever it left in the private gradebook is then not trusted.
    failed = result.timed_out or result.returncode != 0
    scores = None if failed else _read_scores(db_url, assignment, student)
    log = course_root / "grading" / assignment / "logs" / f"{student}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.output, encoding="utf-8")
    notes = _explain(result.output, result.timed_out, limits, scores is not None,
                     ws / "autograded" / student / assignment)
    expected = ws / "submitted" / student / assignment / f"{assignment}.ipynb"
    if not expected.exists():
        found = sorted(p.name for p in expected.parent.glob("*.ipynb"))
        notes += f" (se esperaba {expected.name}; se entregó: {', '.join(found) or 'ningún notebook'})"
    return scores, result.seconds, notes, ws


class _Zygotes:
    """One warm nbgrader helper (:class:`~.zygote.Zygote`) per worker thread, closed at the end."""

    def __init__(self, env: dict[str, str]):
        self._env, self._local, self._all = env, threading.local(), []
        self._lock = threading.Lock()

    def for_this_thread(self) -> Zygote:
        zygote = getattr(self._local, "zygote", None)
        if zygote is None or not zygote.alive():
            zygote = self._local.zygote = Zygote(self._env)
            with self._lock:
                self._all.append(zygote)
        return zygote

    def close(self) -> None:
        for zygote in self._all:
            zygote.close()


# What the unprivileged user must not read while it runs students' code.
_PRIVATE = ("solutions", "submitted", "autograded", "feedback", "grading", "release", "source")


@contextmanager
def _course_hidden(course_root: Path, db_url: str):
    """When grading as root (students' code runs as ``nobody``), make the course's private
    folders and the gradebook owner-only for the duration, then restore their modes."""
    if not drops_privileges():
        yield
        return
    paths = [course_root / name for name in _PRIVATE if (course_root / name).exists()]
    db_file = sqlite_file(db_url)
    if db_file is not None and db_file.exists():
        paths.append(db_file)
    saved = {p: p.stat().st_mode & 0o7777 for p in paths}
    try:
        for p in paths:
            os.chmod(p, 0o700 if p.is_dir() else 0o600)
        yield
    finally:
        for p, mode in saved.items():
            os.chmod(p, mode)


def grade_submissions(course_root: Path, assignment: str, students: Iterable[str] | None = None,
                      db_url: str | None = None, jobs: int = 2, limits: GradingLimits | None = None,
                      show_progress: bool = True) -> list[StudentResult]:
    """Autograde ``students`` (default: every submission) of ``assignment`` with ``jobs`` workers.

    Returns one :class:`StudentResult` per student and writes ``grading/<assignment>/status.csv``.
    """
    from ...progress import progress

    course_root = Path(course_root).resolve()
    db_url = db_url or default_db_url(course_root)
    limits = limits or GradingLimits()
    students = sorted(students) if students is not None else submitted_students(course_root, assignment)
    results: list[StudentResult] = []
    # nbgrader creates gradebooks by running ``alembic`` by name: it must be on PATH.
    with patched_environ(PATH=tool_environment()["PATH"]), _course_hidden(course_root, db_url), \
            tempfile.TemporaryDirectory(prefix=f"course-grade-{assignment}-") as tmp:
        workdir = Path(tmp)
        if drops_privileges():        # the unprivileged user may traverse to its workspace, not list others
            (workdir / "students").mkdir()
            os.chmod(workdir, 0o711)
            os.chmod(workdir / "students", 0o711)
        ensure_assignment(course_root, assignment, db_url, workdir)
        template_db = _template_gradebook(course_root, assignment, workdir)
        bar = progress(None, desc=f"Calificando {assignment}", total=len(students)) if show_progress else None
        threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
        (workdir / "helper-home").mkdir()
        zygotes = _Zygotes(sandbox_environment(workdir / "helper-home", threads=threads))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(_grade_in_sandbox, course_root, assignment, s, template_db, workdir, limits,
                                   threads, zygotes): s for s in students}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    scores, seconds, reason, ws = future.result()
                except Exception as err:  # noqa: BLE001 - one student's failure never stops the class
                    scores, seconds, reason, ws = None, 0.0, f"error al preparar la calificación: {err}", None
                score, max_score = _store(db_url, assignment, student, scores)     # serial: one writer
                if ws is not None and (ws / "autograded" / student / assignment).is_dir():
                    dest = course_root / "autograded" / student / assignment
                    shutil.rmtree(dest, ignore_errors=True)
                    shutil.copytree(ws / "autograded" / student / assignment, dest)
                    if reason:
                        _note_in_notebooks(dest, reason)
                result = StudentResult(student, "ok" if scores is not None else "fallo", score, max_score,
                                       round(seconds, 2), reason)
                results.append(result)
                if bar is not None:
                    bar.update(1)
                    bar.write(f"{student}: {result.status} · {score:g}/{max_score:g}" + (f" · {reason}" if reason else ""))
        zygotes.close()
        if bar is not None:
            bar.close()
    results.sort(key=lambda r: r.student)
    _write_status(course_root / "grading" / assignment / "status.csv", results)
    return results


def _write_status(path: Path, results: list[StudentResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(asdict(results[0]).keys()) if results else ["student"])
        writer.writeheader()
        for r in results:
            writer.writerow(asdict(r))


def read_status(course_root: Path, assignment: str) -> dict[str, dict]:
    """The last ``status.csv`` written for ``assignment``, by student."""
    path = Path(course_root) / "grading" / assignment / "status.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def check_gradebook(db_url: str, assignment: str) -> list[str]:
    """Integrity problems of ``assignment`` in a gradebook (an empty list when it is sound):
    every submission has every grade cell, each auto score is set and within [0, max]."""
    problems = []
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


if __name__ == "__main__":  # pragma: no cover - manual use: python -m course_utils.tools.grading.autograde ROOT A
    for r in grade_submissions(Path(sys.argv[1]), sys.argv[2], jobs=int(sys.argv[3]) if len(sys.argv) > 3 else 2):
        print(r)
