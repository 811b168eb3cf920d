"""Grading spread over machines with Dask (``course grade autograde … --scheduler ADDRESS``).

One Dask task per student. Each task runs, on whichever worker the scheduler picks, **the same
grading as one machine**: :func:`.executor.grade_one` — nbgrader in a private scratch course,
the kernel in the bubblewrap sandbox under a uid of the student's own, the hidden tests in the
trusted evaluator, the limits of :class:`.limits.GradingLimits`. Workers need no shared
filesystem: the task carries the student's submission (regular files only) and the collect
record; a *course kit* (``nbgrader_config.py``, the assignment's data files, the template
gradebook) is one task whose result every worker fetches once. The task returns plain data —
the private gradebook's scores, the notes, the log and the autograded notebooks — and the
**client stores it**: the class gradebook (SQLite or PostgreSQL) is written by one process, one
student at a time, exactly as on one machine (:func:`.autograde._record`), so ``status.csv``,
``grades.csv`` and ``summary.md`` are the same.

Exactly once, nothing lost:

- A worker that dies in the middle of a student (killed, out of memory, its machine gone) is
  noticed by the scheduler, which runs that student's task again on another worker (Dask's
  own rescheduling of a lost worker's tasks). A task that still fails after
  ``distributed.scheduler.allowed-failures`` lost workers (Dask's default: 3) ends as
  ``KilledWorker``: the student gets a ``fallo`` row saying so and 0, and is regraded with
  ``--student``.
- Only the client writes the gradebook, and it records each student once: the first result of
  a task, whichever worker ran it (a late duplicate from a worker presumed dead is discarded by
  the scheduler and never reaches the client). A client that dies mid-batch leaves the students
  it stored; running the batch again updates the same rows (``store_scores`` is
  update-or-create), so a rerun never duplicates.
- Workers are the instructor's machines: they receive the assignment (hidden tests included, in
  the template gradebook) and run the trusted side; students' code only ever runs inside their
  sandboxes, as on one machine.
"""

from __future__ import annotations

import atexit
import csv
import hashlib
import os
import pickle
import secrets
import shutil
import socket
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .collect import MANIFEST_FIELDS, manifest_path
from .executor import Graded
from .limits import GradingLimits
from .workspace import regular_files, remove_tree

__all__ = ["grade_on_cluster", "grade_task", "course_kit", "ClusterUnavailable"]

CONNECT_TIMEOUT_S = 30


class ClusterUnavailable(RuntimeError):
    """The scheduler cannot be reached or has no worker (Spanish message)."""


def _read_files(folder: Path, skip_notebooks: bool = False) -> dict[str, bytes]:
    """Regular files under ``folder`` (never through a link), by relative path."""
    files = {}
    for rel in regular_files(folder, skip_notebooks):
        fd = os.open(folder / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            files[rel.as_posix()] = fh.read()
    return files


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ValueError(f"ruta no válida en la tarea: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def course_kit(course_root: Path, assignment: str, template_db: Path) -> dict:
    """What every worker needs besides a submission: the course's ``nbgrader_config.py``, the
    assignment's data files (never a solution notebook) and the template gradebook."""
    return {
        "assignment": assignment,
        "config": (course_root / "nbgrader_config.py").read_bytes(),
        "data": _read_files(course_root / "solutions" / assignment, skip_notebooks=True),
        "template": template_db.read_bytes(),
    }


def _kit(kit: dict) -> dict:
    """The kit as a task result (recomputed by the scheduler if every worker holding it dies)."""
    return dict(kit, digest=hashlib.sha256(pickle.dumps(kit)).hexdigest()[:16])


# --- the worker's side ------------------------------------------------------------------


@dataclass
class _WorkerRuntime:
    """What one worker process keeps between tasks and batches: a private folder, the probed
    sandbox and a warm nbgrader helper per thread (the first grading in a fresh helper costs
    several times a warm one); per kit, only the template gradebook is written once."""

    workdir: Path
    sandbox: object
    zygotes: object
    threads: int
    templates: dict


_RUNTIMES: dict[bool, _WorkerRuntime] = {}
_RUNTIME_LOCK = threading.Lock()


def _close_all() -> None:
    for runtime in _RUNTIMES.values():
        try:
            runtime.zygotes.close()
        finally:
            shutil.rmtree(runtime.workdir, ignore_errors=True)


def _worker_runtime(sandboxed: bool) -> _WorkerRuntime:
    from ..environment import tool_environment
    from .executor import Zygotes
    from .process import grading_environment
    from .sandbox import Sandbox, probe

    with _RUNTIME_LOCK:
        if sandboxed in _RUNTIMES:
            return _RUNTIMES[sandboxed]
        if not _RUNTIMES:
            atexit.register(_close_all)
        # nbgrader creates gradebooks by running ``alembic`` by name: it must be on PATH
        os.environ["PATH"] = tool_environment()["PATH"]
        workdir = Path(tempfile.mkdtemp(prefix="cgd-"))  # short: kernels' ipc socket paths < 108 bytes
        sandbox = None
        if sandboxed:
            sandbox = Sandbox.for_grading()
            probe(sandbox, workdir / "probe")  # SandboxUnavailable: this worker grades nobody
        try:
            from distributed import get_worker

            slots = get_worker().state.nthreads
        except (ImportError, ValueError):
            slots = 1
        threads = max(1, (os.cpu_count() or 1) // max(1, slots))
        (workdir / "helper-home").mkdir()
        zygotes = Zygotes(grading_environment(workdir / "helper-home", threads=threads))
        _RUNTIMES[sandboxed] = _WorkerRuntime(workdir, sandbox, zygotes, threads, {})
        return _RUNTIMES[sandboxed]


def _template(runtime: _WorkerRuntime, kit: dict) -> Path:
    """The kit's template gradebook in the worker's private folder (written once per kit)."""
    with _RUNTIME_LOCK:
        if kit["digest"] not in runtime.templates:
            folder = runtime.workdir / "templates" / kit["digest"]
            folder.mkdir(parents=True)
            os.chmod(folder, 0o700)  # the assignment's hidden tests: grader only
            (folder / "gradebook.db").write_bytes(kit["template"])
            runtime.templates[kit["digest"]] = folder / "gradebook.db"
        return runtime.templates[kit["digest"]]


def grade_task(kit: dict, job: dict) -> dict:
    """One student, on a worker: the same :func:`.executor.grade_one` as on one machine, in a
    private copy of the course holding only this student's submission. Returns plain data."""
    from .autograde import DELIVERED
    from .executor import grade_one

    state = _worker_runtime(job["sandboxed"])
    template_db = _template(state, kit)
    assignment, student = kit["assignment"], job["student"]
    root = state.workdir / "courses" / secrets.token_hex(4)
    graded = None
    try:
        (root / "solutions" / assignment).mkdir(parents=True)
        (root / "nbgrader_config.py").write_bytes(kit["config"])
        _write_files(root / "solutions" / assignment, kit["data"])
        _write_files(root / "submitted" / student / assignment, job["files"])
        if job["manifest"]:
            path = manifest_path(root, assignment)
            path.parent.mkdir(parents=True)
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
                writer.writeheader()
                writer.writerow({k: job["manifest"].get(k, "") for k in MANIFEST_FIELDS})
        graded = grade_one(
            root,
            assignment,
            student,
            template_db,
            state.workdir,
            job["limits"],
            state.threads,
            state.zygotes,
            state.sandbox.for_student() if state.sandbox is not None else None,
            job["notebooks"],
            job["extra_files"],
        )
        log = root / "grading" / assignment / "logs" / f"{student}.log"
        autograded = {}
        if graded.workspace is not None:
            folder = graded.workspace / "autograded" / student / assignment
            for name in [*job["notebooks"], *DELIVERED]:
                try:
                    fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                with os.fdopen(fd, "rb") as fh:
                    if stat.S_ISREG(os.fstat(fd).st_mode):
                        autograded[name] = fh.read()
        return {
            "scores": graded.scores,
            "seconds": graded.seconds,
            "reason": graded.reason,
            "review": graded.review,
            "log": log.read_text(encoding="utf-8") if log.is_file() else "",
            "autograded": autograded,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
    finally:
        remove_tree(root)
        if graded is not None and graded.workspace is not None:
            remove_tree(graded.workspace)


def _probe_worker(sandboxed: bool) -> str:
    """Run on every worker before the batch: the sandbox starts there (or why not)."""
    if not sandboxed:
        return ""
    from .sandbox import Sandbox, SandboxUnavailable, probe

    scratch = Path(tempfile.mkdtemp(prefix="cgp-"))
    try:
        probe(Sandbox.for_grading(), scratch / "probe")
        return ""
    except SandboxUnavailable as err:
        return str(err)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- the client's side ------------------------------------------------------------------


class _Outcome:
    """A finished student as :func:`.autograde._record` reads a future: ``result()`` returns
    the :class:`.executor.Graded` or raises the task's error."""

    def __init__(self, graded: Graded | None = None, error: BaseException | None = None):
        self._graded, self._error = graded, error

    def result(self) -> Graded:
        if self._error is not None:
            raise self._error
        return self._graded


def _unpack(data: dict, student: str, assignment: str, notebooks: list[str], into: Path) -> Graded:
    """A task's plain data as a :class:`Graded` whose workspace holds the autograded notebooks
    (only the assignment's notebook names, ``timestamp.txt`` and ``submission_secret.txt``)."""
    from .autograde import DELIVERED

    workspace = into / secrets.token_hex(4)
    folder = workspace / "autograded" / student / assignment
    folder.mkdir(parents=True)
    allowed = {*notebooks, *DELIVERED}
    for name, content in data["autograded"].items():
        if name in allowed:
            (folder / name).write_bytes(content)
    return Graded(data["scores"], data["seconds"], data["reason"], workspace, data["review"])


def _killed_note(err: BaseException) -> str:
    return (
        f"el corrector que calificaba esta entrega se perdió varias veces ({type(err).__name__}); no se "
        "calificó: se le asigna 0 — vuelva a calificarla con --student"
    )


def open_cluster(scheduler, sandboxed: bool):
    """A ``distributed.Client`` of the scheduler at ``scheduler`` (an address such as
    ``tcp://host:8786``, or a cluster object), once it has a worker and every worker's sandbox
    starts; :class:`ClusterUnavailable` or :class:`.sandbox.SandboxUnavailable` (Spanish) when
    not, before anybody is graded."""
    from distributed import Client

    from .sandbox import SandboxUnavailable

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as err:
        raise ClusterUnavailable(f"no se puede conectar con el planificador de Dask {scheduler}: {err}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ClusterUnavailable(
                f"el planificador de Dask {scheduler} no tiene ningún worker tras {CONNECT_TIMEOUT_S} s"
            ) from None
        broken = {w: why for w, why in client.run(_probe_worker, sandboxed).items() if why}
        if broken:
            raise SandboxUnavailable("; ".join(f"worker {w}: {why}" for w, why in sorted(broken.items())))
    except BaseException:
        client.close()
        raise
    return client


def grade_on_cluster(
    client,
    course_root: Path,
    assignment: str,
    students: list[str],
    template_db: Path,
    limits: GradingLimits,
    sandboxed: bool,
    notebooks: list[str],
    extra_files: list[str] | None,
    workdir: Path,
    events: list | None = None,
):
    """Send one task per student to the cluster of ``client`` (:func:`open_cluster`) and yield
    ``(student, outcome)`` as each finishes, in any order; ``outcome.result()`` gives the
    :class:`Graded`. ``events``, when given, receives one ``(student, host, pid)`` per result
    (which worker process graded whom). The client is closed at the end."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError

    from .collect import read_manifest

    try:
        kit = client.submit(
            _kit,
            course_kit(course_root, assignment, template_db),
            pure=False,
            key=f"kit-{assignment}-{secrets.token_hex(4)}",
        )
        manifest = read_manifest(course_root, assignment)
        futures = {}
        for student in students:
            job = {
                "student": student,
                "files": _read_files(course_root / "submitted" / student / assignment),
                "manifest": manifest.get(student, {}),
                "limits": limits,
                "sandboxed": sandboxed,
                "notebooks": notebooks,
                "extra_files": extra_files,
            }
            key = f"califica-{assignment}-{student}-{secrets.token_hex(4)}"
            futures[client.submit(grade_task, kit, job, key=key, pure=False)] = student
        unpacked = workdir / "remote"
        unpacked.mkdir(exist_ok=True)
        for future in as_completed(list(futures), loop=client.loop):
            student = futures.pop(future)
            try:
                data = future.result()
            except (FutureCancelledError, Exception) as err:  # noqa: BLE001 - one student's failure
                if type(err).__name__ == "KilledWorker":
                    yield student, _Outcome(Graded(None, 0.0, _killed_note(err), None))
                else:  # recorded as on one machine: "error al preparar la calificación: …"
                    yield student, _Outcome(error=err)
                continue
            finally:
                future.release()
            log = course_root / "grading" / assignment / "logs" / f"{student}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(data["log"], encoding="utf-8")
            if events is not None:
                events.append((student, data["host"], data["pid"]))
            yield student, _Outcome(_unpack(data, student, assignment, notebooks, unpacked))
    finally:
        client.close()
