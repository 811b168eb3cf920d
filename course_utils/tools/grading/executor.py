"""Grade one student: nbgrader in a private workspace, the score read back from its private
gradebook, the notes explaining lost marks. Worker threads call :func:`grade_one`."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from ..release import nbgrader_command
from .collect import COLLECTED, TIMESTAMP, read_manifest
from .diagnosis import GRADER_OUT_OF_MEMORY, NETWORK_NOTE, explain
from .gradebook import assignment_notebooks, read_scores
from .integrity import schema_problems
from .kernel import KERNEL_EXITS, KERNEL_OUTPUT, sandboxed_config, unsandboxed_config, write_config
from .limits import GradingLimits
from .memory import MEMORY_LOG, memory_note
from .process import NETWORK_LOG, grading_environment, run_limited
from .sandbox import Sandbox
from .tamper import review_notes
from .workspace import make_workspace
from .zygote import Zygote


@dataclass
class Graded:
    """The outcome of one student's run, before it is stored in the class gradebook."""

    scores: dict | None  # None: nothing trustworthy was saved (the student gets 0)
    seconds: float
    reason: str  # Spanish, why marks were lost other than by failed tests
    workspace: Path | None
    review: str = ""  # Spanish, why the submission must be reviewed by hand


class Zygotes:
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


def _network_attempts(folder: Path) -> int:
    """Connections the network guard saw in the kernel (its log in ``folder``: the ``ipc``
    folder of a sandboxed kernel; a regular file only, never followed through a link)."""
    try:
        fd = os.open(folder / NETWORK_LOG, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return 0
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0
        return fh.read(1_000_000).count(b"\n")


def _exit_codes(path: Path) -> list[int]:
    """The exit statuses the kernel manager recorded (a grader-owned file; empty when none)."""
    try:
        return [int(line) for line in path.read_text(encoding="utf-8").split() if line.lstrip("-").isdigit()]
    except OSError:
        return []


def _tail(path: Path, size: int = 5000) -> str:
    """The last ``size`` bytes of a grader-owned log (empty when it is missing)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - size))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def grade_one(
    course_root: Path,
    assignment: str,
    student: str,
    template_db: Path,
    workdir: Path,
    limits: GradingLimits,
    threads: int,
    zygotes: Zygotes,
    sandbox: Sandbox | None,
    notebooks: list[str] | None = None,
    extra_files: list[str] | None = None,
) -> Graded:
    """Autograde ``student`` in a fresh workspace, the kernel in ``sandbox`` (None: unsandboxed,
    only with ``--no-sandbox``) under a uid of the student's own; the class gradebook is not
    touched. Only the assignment's ``notebooks`` (default: those of the template gradebook)
    and the declared ``extra_files`` reach the kernel's working folder. The submission time is
    the one collect recorded (:mod:`.collect`), whatever ``timestamp.txt`` the folder holds."""
    ws = make_workspace(course_root, assignment, student, template_db, workdir)
    submission = ws / "submitted" / student / assignment
    collected = read_manifest(course_root, assignment).get(student, {})
    collect_note = collected.get("note", "") if collected.get("status") == COLLECTED else ""
    if collected.get("status") == COLLECTED and collected.get("submitted_at"):
        stamp = submission / TIMESTAMP
        if stamp.is_symlink() or stamp.exists():
            stamp.unlink()
        stamp.write_text(collected["submitted_at"], encoding="utf-8")
    if sandbox is not None:
        if notebooks is None:
            notebooks = assignment_notebooks(f"sqlite:///{template_db}", assignment)
        config = sandboxed_config(
            sandbox.for_student(),
            ws,
            submission,
            notebooks,
            extra_files,
            disk_mb=limits.disk_mb,
            memory_mb=limits.memory_mb,
        )
    else:
        config = unsandboxed_config()
    write_config(ws, config)
    db_url = f"sqlite:///{ws / 'gradebook.db'}"
    command = nbgrader_command(
        "autograde",
        assignment,
        "--force",
        f"--student={student}",
        root=ws,
        extra=[f"--CourseDirectory.db_url={db_url}", *limits.nbgrader_options()],
    )
    result = run_limited(
        command, ws, grading_environment(ws / "home", threads=threads), limits, zygote=zygotes.for_this_thread()
    )
    # nbgrader exits non-zero when it could not grade the notebook (kernel died, unreadable file…);
    # whatever it left in the private gradebook is then not trusted.
    failed = result.timed_out or result.returncode != 0
    forged = [] if failed else schema_problems(db_url)  # a trigger the student's code planted
    scores = None if failed or forged else read_scores(db_url, assignment, student)
    log = course_root / "grading" / assignment / "logs" / f"{student}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    kernel_output = _tail(ws / KERNEL_OUTPUT)  # what the kernel wrote itself: for the teacher's log only
    log.write_text(
        result.output + (f"\n--- salida propia del kernel (final) ---\n{kernel_output}" if kernel_output else ""),
        encoding="utf-8",
    )
    notes = explain(
        result.output,
        result.timed_out,
        limits,
        scores is not None,
        ws / "autograded" / student / assignment,
        _exit_codes(ws / KERNEL_EXITS),
    )
    notes = "; ".join(filter(None, [notes, memory_note(ws / MEMORY_LOG, limits.memory_mb)]))
    expected = ws / "submitted" / student / assignment / f"{assignment}.ipynb"
    if not expected.exists():
        found = sorted(p.name for p in expected.parent.glob("*.ipynb"))
        notes += f" (se esperaba {expected.name}; se entregó: {', '.join(found) or 'ningún notebook'})"
    attempts = _network_attempts(ws / ("ipc" if sandbox is not None else "home"))
    if attempts and NETWORK_NOTE not in notes:
        notes = "; ".join(filter(None, [f"{NETWORK_NOTE}: {attempts} intento(s)", notes]))
    notes = "; ".join(filter(None, [collect_note, notes]))
    # the scan reads the course's copy of the submission: the workspace's is writable by the student's code
    review = review_notes(
        course_root / "submitted" / student / assignment,
        ws / "autograded" / student / assignment if scores is not None else None,
    )
    if failed and GRADER_OUT_OF_MEMORY in notes:  # the notebook's output, not its grade, ended the grading
        review = " · ".join(filter(None, [review, "revisión manual: " + GRADER_OUT_OF_MEMORY]))
    if forged:
        notes = "; ".join(filter(None, [notes, "el gradebook privado de la entrega fue manipulado; se le asigna 0"]))
        review = " · ".join(filter(None, [review, "revisión manual: gradebook manipulado — " + "; ".join(forged)]))
    return Graded(scores, result.seconds, notes, ws, review)
