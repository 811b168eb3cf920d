"""Grade one student: nbgrader in a private workspace, the score read back from its private
gradebook, the notes explaining lost marks. Worker threads call :func:`grade_one`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..release import nbgrader_command
from .diagnosis import NETWORK_NOTE, explain
from .gradebook import read_scores
from .integrity import schema_problems
from .kernel import KERNEL_HOME, config_lines
from .limits import GradingLimits
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


def _network_attempts(home: Path) -> int:
    """Connections the network guard saw in the kernel (its log; a regular file only)."""
    log = home / NETWORK_LOG
    if log.is_symlink() or not log.is_file():
        return 0
    with open(log, "rb") as fh:
        return fh.read(1_000_000).count(b"\n")


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
) -> Graded:
    """Autograde ``student`` in a fresh workspace, the kernel in ``sandbox`` (None: unsandboxed,
    only with ``--no-sandbox``); the class gradebook is not touched."""
    ws = make_workspace(course_root, assignment, student, template_db, workdir)
    if sandbox is not None:
        with open(ws / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write(config_lines(sandbox, ws))
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
    log.write_text(result.output, encoding="utf-8")
    notes = explain(
        result.output, result.timed_out, limits, scores is not None, ws / "autograded" / student / assignment
    )
    expected = ws / "submitted" / student / assignment / f"{assignment}.ipynb"
    if not expected.exists():
        found = sorted(p.name for p in expected.parent.glob("*.ipynb"))
        notes += f" (se esperaba {expected.name}; se entregó: {', '.join(found) or 'ningún notebook'})"
    attempts = _network_attempts(ws / (KERNEL_HOME if sandbox is not None else "home"))
    if attempts and NETWORK_NOTE not in notes:
        notes = "; ".join(filter(None, [f"{NETWORK_NOTE}: {attempts} intento(s)", notes]))
    # the scan reads the course's copy of the submission: the workspace's is writable by the student's code
    review = review_notes(
        course_root / "submitted" / student / assignment,
        ws / "autograded" / student / assignment if scores is not None else None,
    )
    if forged:
        notes = "; ".join(filter(None, [notes, "el gradebook privado de la entrega fue manipulado; se le asigna 0"]))
        review = " · ".join(filter(None, [review, "revisión manual: gradebook manipulado — " + "; ".join(forged)]))
    return Graded(scores, result.seconds, notes, ws, review)
