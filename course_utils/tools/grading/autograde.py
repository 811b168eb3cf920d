"""Parallel, isolated autograding on top of ``nbgrader autograde``.

Each student is graded by nbgrader itself (:mod:`.executor`), in a worker under
:class:`~.limits.GradingLimits`, inside a private scratch course (:mod:`.workspace`) that holds
only that student's submission and a private gradebook made from the assignment alone; the
notebook kernel runs in the bubblewrap sandbox (:mod:`.sandbox`, :mod:`.kernel`). The
parent then copies the scores into the class gradebook (:mod:`.gradebook`) **one student at a
time**, so concurrent workers never write to it, and writes ``status.csv`` (:mod:`.status`).

A submission flagged for manual review has its automatic points **held** in the gradebook (0
until the teacher decides: :func:`release`, ``course grade release``). Grading a subset of the
class merges into ``status.csv``. A student whose submission collect refused (:mod:`.collect`)
gets a row saying why, and 0 in the gradebook.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..environment import patched_environ, tool_environment
from .collect import REFUSED, read_manifest
from .diagnosis import note_in_notebooks
from .executor import Graded, Zygotes, grade_one
from .gradebook import (
    assignment_notebooks,
    check_gradebook,
    default_db_url,
    ensure_assignment,
    release_held,
    store_scores,
    template_gradebook,
)
from .limits import GradingLimits
from .process import grading_environment
from .sandbox import Sandbox, SandboxUnavailable, probe
from .status import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_REFUSED,
    StudentResult,
    merge_status,
    read_status,
    status_path,
    write_status,
)
from .workspace import copy_back, submitted_students

__all__ = [
    "StudentResult",
    "SandboxUnavailable",
    "grade_submissions",
    "check_gradebook",
    "read_status",
    "default_db_url",
    "NO_SANDBOX_NOTE",
    "release",
]

DELIVERED = ["timestamp.txt", "submission_secret.txt"]  # besides the notebooks, into autograded/
HELD_NOTE = "puntos automáticos retenidos (0 en el gradebook) hasta que el profesor revise la entrega"
NO_SANDBOX_NOTE = (
    "calificado SIN aislamiento (--no-sandbox): el código de los estudiantes se ejecutó con los "
    "permisos del corrector / graded WITHOUT the sandbox"
)


def _deliver(course_root: Path, assignment: str, student: str, graded: Graded, notebooks: list[str]) -> None:
    """Copy the autograded notebooks (regular files only, named by the assignment) into the
    course's ``autograded/`` and put the notes at their top."""
    if graded.workspace is None:
        return
    source = graded.workspace / "autograded" / student / assignment
    if not source.is_dir() or source.is_symlink():
        return
    dest = course_root / "autograded" / student / assignment
    # submission_secret.txt: nbgrader's exchange names the returned feedback by it (release_feedback)
    copy_back(source, dest, [*notebooks, *DELIVERED])
    note_in_notebooks(dest, graded.reason, graded.review)


def grade_submissions(
    course_root: Path,
    assignment: str,
    students: Iterable[str] | None = None,
    db_url: str | None = None,
    jobs: int = 2,
    limits: GradingLimits | None = None,
    show_progress: bool = True,
    sandboxed: bool = True,
    extra_files: list[str] | None = None,
    scheduler=None,
    events: list | None = None,
) -> list[StudentResult]:
    """Autograde ``students`` (default: every submission) of ``assignment`` with ``jobs`` workers.

    Returns one :class:`StudentResult` per student and writes ``grading/<assignment>/status.csv``
    (all of it for the whole class; merged into the existing rows when ``students`` names a
    subset). Each kernel runs in the bwrap sandbox, probed once first: if it cannot start,
    :class:`SandboxUnavailable` is raised and nobody is graded. ``sandboxed=False`` (the CLI's
    ``--no-sandbox``) grades without it, and status.csv says so on every row. Only the
    assignment's notebooks and ``extra_files`` (declared by the teacher; default none) enter a
    kernel's working folder.

    With ``scheduler`` (a Dask scheduler's address, or a ``distributed`` cluster or client) one
    task per student goes to the cluster's workers, each running the same sandboxed grading
    (:mod:`.distributed`); this process still stores every result, so the gradebook and
    ``status.csv`` are written exactly as here. ``jobs`` is then unused (each worker's threads
    decide); ``events`` receives ``(student, host, pid)`` per result.
    """
    from ...progress import progress

    course_root = Path(course_root).resolve()
    db_url = db_url or default_db_url(course_root)
    limits = limits or GradingLimits()
    subset = students is not None
    manifest = read_manifest(course_root, assignment)
    submitted = set(submitted_students(course_root, assignment))
    refused = {s for s, row in manifest.items() if row.get("status") == REFUSED and s not in submitted}
    if subset:
        students = sorted(set(students))
        refused &= set(students)
        students = [s for s in students if s not in refused]
    else:
        students = sorted(submitted)
    results: list[StudentResult] = []
    # nbgrader creates gradebooks by running ``alembic`` by name: it must be on PATH.
    # short folder names: the kernels' ipc socket paths must stay under 108 bytes
    with patched_environ(PATH=tool_environment()["PATH"]), tempfile.TemporaryDirectory(prefix="cg-") as tmp:
        workdir = Path(tmp)
        sandbox = None
        if sandboxed and scheduler is None:  # with a scheduler, each worker probes its own sandbox
            sandbox = Sandbox.for_grading()
            probe(sandbox, workdir / "probe")
        template_db = template_gradebook(course_root, assignment, workdir)
        ensure_assignment(course_root, assignment, db_url, workdir, template_db)
        notebooks = assignment_notebooks(f"sqlite:///{template_db}", assignment)
        cluster = None
        if scheduler is not None:  # reached, with working sandboxes, before anybody is graded
            from .distributed import grade_on_cluster, open_cluster

            cluster = open_cluster(scheduler, sandboxed)  # closed by grade_on_cluster
        bar = progress(None, desc=f"Calificando {assignment}", total=len(students)) if show_progress else None
        threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
        (workdir / "helper-home").mkdir()
        zygotes = Zygotes(grading_environment(workdir / "helper-home", threads=threads))
        try:
            if cluster is not None:
                finished = grade_on_cluster(
                    cluster, course_root, assignment, students, template_db, limits, sandboxed, notebooks,
                    extra_files, workdir, events,
                )  # fmt: skip
                for student, outcome in finished:
                    result = _record(course_root, assignment, db_url, student, outcome, notebooks)
                    results.append(result)
                    if bar is not None:
                        bar.update(1)
                        bar.write(f"{student}: {result.status} · {result.score:g}/{result.max_score:g}")
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = {
                    pool.submit(
                        grade_one,
                        course_root,
                        assignment,
                        s,
                        template_db,
                        workdir,
                        limits,
                        threads,
                        zygotes,
                        sandbox,
                        notebooks,
                        extra_files,
                    ): s
                    for s in (students if scheduler is None else [])
                }
                for future in as_completed(futures):
                    student = futures[future]
                    result = _record(course_root, assignment, db_url, student, future, notebooks)
                    results.append(result)
                    if bar is not None:
                        bar.update(1)
                        bar.write(
                            f"{student}: {result.status} · {result.score:g}/{result.max_score:g}"
                            + (f" · {result.reason}" if result.reason else "")
                        )
            for student in sorted(refused):
                results.append(_record_refused(db_url, assignment, student, manifest[student].get("note", "")))
        finally:
            zygotes.close()
            if bar is not None:
                bar.close()
            results.sort(key=lambda r: r.student)
            store = merge_status if subset else write_status
            store(status_path(course_root, assignment), results, note="" if sandboxed else NO_SANDBOX_NOTE)
    return results


def _record_refused(db_url: str, assignment: str, student: str, why: str) -> StudentResult:
    """A student whose submission collect refused: 0 in the gradebook, the reason in status."""
    score, max_score, _ = store_scores(db_url, assignment, student, None)
    reason = f"la entrega no se recogió: {why}; se le asigna 0" if why else "la entrega no se recogió; se le asigna 0"
    return StudentResult(student, STATUS_REFUSED, score, max_score, 0.0, reason)


def release(
    course_root: Path, assignment: str, students: Iterable[str], db_url: str | None = None
) -> list[StudentResult]:
    """The teacher's decision after reviewing flagged submissions: give ``students`` back the
    automatic points held in the gradebook (see :func:`.gradebook.store_scores`), and record it
    in ``status.csv`` (the review note stays, with the date of the release). Returns the
    updated rows; a student with nothing held is returned unchanged."""
    import datetime

    course_root = Path(course_root).resolve()
    db_url = db_url or default_db_url(course_root)
    rows = read_status(course_root, assignment)
    updated = []
    for student in students:
        score, max_score, released = release_held(db_url, assignment, student)
        row = rows.get(student, {})
        review = row.get("review", "")
        if released:
            when = datetime.date.today().isoformat()
            review = " · ".join(
                filter(None, [review, f"revisada: {released:g} puntos liberados por el profesor ({when})"])
            )
        updated.append(
            StudentResult(
                student,
                row.get("status") or STATUS_OK,
                score,
                max_score,
                float(row.get("seconds") or 0.0),
                row.get("reason", ""),
                review,
                0.0,
            )
        )
    merge_status(status_path(course_root, assignment), updated)
    return updated


def _record(
    course_root: Path, assignment: str, db_url: str, student: str, future, notebooks: list[str]
) -> StudentResult:
    """Store one finished student in the class gradebook and deliver the graded notebook; a
    failure is recorded for that student only."""
    try:
        graded = future.result()
    except Exception as err:  # noqa: BLE001 - one student's failure never stops the class
        graded = Graded(None, 0.0, f"error al preparar la calificación: {err}; se le asigna 0", None)
    # a submission flagged for review keeps its automatic points out of the gradebook (held)
    hold = bool(graded.review) and graded.scores is not None
    try:
        score, max_score, held = store_scores(db_url, assignment, student, graded.scores, hold=hold)  # one writer
    except Exception as err:  # noqa: BLE001 - the rest of the class is still stored
        graded.scores, score, max_score, held = None, 0.0, 0.0, 0.0
        graded.reason = "; ".join(filter(None, [graded.reason, f"no se pudo guardar la nota en el gradebook: {err}"]))
    if held:
        graded.review += f" — {held:g} {HELD_NOTE}"
    try:
        _deliver(course_root, assignment, student, graded, notebooks)
    except Exception as err:  # noqa: BLE001 - the grade is stored; say what went wrong
        graded.reason = "; ".join(filter(None, [graded.reason, f"no se pudo copiar el notebook calificado: {err}"]))
    return StudentResult(
        student,
        STATUS_OK if graded.scores is not None else STATUS_FAILED,
        score,
        max_score,
        round(graded.seconds, 2),
        graded.reason,
        graded.review,
        held,
    )


if __name__ == "__main__":  # pragma: no cover - manual use: python -m course_utils.tools.grading.autograde ROOT A
    for r in grade_submissions(Path(sys.argv[1]), sys.argv[2], jobs=int(sys.argv[3]) if len(sys.argv) > 3 else 2):
        print(r)
