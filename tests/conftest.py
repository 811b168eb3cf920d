"""Shared fixtures: the repository, the chapter list, one guarded FAST execution of each
solution notebook that several test modules inspect (made on first use, so ``-k 04`` executes
only chapter 04), a throwaway PostgreSQL server, and the markers that select the edit loop's
tests (``python run.py test-fast``)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

from course_utils.config import repo_root
from course_utils.tools.chapters import list_chapters
from course_utils.tools.environment import math_thread_limits, patched_environ
from course_utils.tools.grading.sandbox import NETGUARD_DIR

ROOT = repo_root()
CHAPTERS = list_chapters()


def share_the_cores_between_workers() -> None:
    """Under pytest-xdist, one math thread per process: this worker and every notebook, kernel
    and tool it starts. With two threads each, two workers' notebooks on two cores spin-waited
    for each other (chapters 02 and 06 side by side: 116 s and 120 s instead of 28 s and 20 s)."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        import threadpoolctl

        os.environ.update(math_thread_limits(1))
        threadpoolctl.threadpool_limits(1)  # numpy's BLAS, already loaded in this process


share_the_cores_between_workers()


def graded_cell(chapter: str, grade_id: str) -> str:
    """Source of the cell with nbgrader ``grade_id`` in ``chapter``'s solution notebook."""
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell.source


def visible_tests(chapter: str, grade_id: str) -> str:
    """The part of a graded test cell a student sees (before its hidden tests)."""
    return graded_cell(chapter, grade_id).split("### BEGIN HIDDEN TESTS")[0]


def run_visible_tests(chapter: str, exercise: int, answer: str, imports: str) -> None:
    """Run exercise ``exercise``'s visible tests against ``answer`` (source defining the
    solution) in a fresh namespace holding only ``imports``."""
    namespace: dict = {}
    exec(imports + answer, namespace)  # noqa: S102 - the course's own test code
    exec(visible_tests(chapter, f"ej{exercise}_pruebas"), namespace)  # noqa: S102


def guarded_env(log_file: Path) -> dict[str, str]:
    """Environment variables that load the network guard into child Python processes."""
    assert (NETGUARD_DIR / "sitecustomize.py").is_file(), f"network guard missing at {NETGUARD_DIR}"
    pythonpath = os.pathsep.join([str(NETGUARD_DIR), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {"PYTHONPATH": pythonpath, "COURSE_NETGUARD_LOG": str(log_file)}


class Execution(NamedTuple):
    result: object  # course_utils.tools.runner.NotebookResult
    path: Path  # the executed notebook
    netguard_log: Path  # outbound connections the notebook attempted (empty: none)


class Executions:
    """Each chapter's solution notebook executed in FAST mode with the network guard, once per
    test run, on first use: every check that needs an execution reads this one."""

    def __init__(self, out: Path):
        self.out, self._done = out, {}

    def __getitem__(self, chapter: str) -> Execution:
        if chapter not in self._done:
            self._done[chapter] = execute_guarded(chapter, self.out)
        return self._done[chapter]


def execute_guarded(chapter: str, out: Path, **kwargs) -> Execution:
    """One FAST execution of ``chapter``'s solution notebook into ``out``, network guarded."""
    from course_utils.tools.runner import run_notebook

    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{chapter}.netguard.log"
    log.write_text("")
    with patched_environ(**guarded_env(log)):
        result = run_notebook(chapter, out, fast=True, progress=False, **kwargs)
    return Execution(result, out / f"{chapter}.ipynb", log)


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> Executions:
    """``executed[chapter]`` → :class:`Execution` (the chapter is executed when first asked for)."""
    return Executions(tmp_path_factory.mktemp("executed"))


# --- what the edit loop runs ------------------------------------------------------------------
# `python run.py test-fast` = pytest -m "not notebook and not roundtrip and not e2e and not slow".
# Tests that run a whole course notebook, grade a class or install an environment are marked
# here, in one place, by node id prefix (the rest of tests/ and tests/grading are unit tests).
SLOW = {
    "tests/test_dist.py::test_edition_installs_and_runs_from_its_own_folder": "installs the student set into a new .venv",
    "tests/test_environment.py::test_student_set_resolves_for_every_platform_and_python": "12 resolutions against PyPI",
    "tests/test_bootstrap.py::test_probe_finds_the_torch_that_pip_would_install": "asks the package index",
    "tests/grading/test_hostile_submissions.py": "grades a class of 103 in the sandbox",
    "tests/grading/test_plain_nbgrader.py": "grades with plain nbgrader and formgrader's API, in the sandbox",
    "tests/grading/test_kernel_isolation.py": "grades a class in the sandbox",
    "tests/grading/test_collect_to_release.py": "collects and grades a class through the commands",
    "tests/grading/test_parallel_gradebooks.py": "grades the fixture class five times (SQLite, PostgreSQL)",
    "tests/grading/test_sandbox.py": "grades a class in the sandbox and refuses without it",
    "tests/grading/test_feedback.py": "grades a class, then writes its feedback",
    "tests/test_release.py::test_release_is_in_sync_with_solutions": "regenerates every chapter's release",
    "tests/test_release.py::test_release_differences_detects_a_hand_edit": "regenerates every chapter's release",
    "tests/test_cross_attention.py::test_contrastive_training_learns_and_is_deterministic": "trains twice",
}


def pytest_addoption(parser):
    parser.addoption(
        "--update-expected-outputs",
        action="store_true",
        help="rewrite tests/expected_outputs/<chapter>.json from this run's FAST executions "
        "(after a deliberate change to a cell tagged nbval-check-output)",
    )


# --- two workers: `python run.py test` runs pytest-xdist with -n 2 --dist loadscope -----------
# A group runs whole on one worker, so an expensive fixture is built once: a module's tests form
# one group (a class graded once, JupyterLab started once), except the per-chapter tests of the
# notebook executions and of the round trip, one group per chapter so that chapters run side by
# side. Groups start longest first (measured durations, slowest first), so that no long group
# starts last and runs alone; the rest follow in collection order. The groups are given to xdist
# by a scheduler of our own (pytest_xdist_make_scheduler): xdist's `loadgroup` marks do nothing
# under pytest 9, whose node ids can no longer be rewritten.
PER_CHAPTER_MODULES = ("tests/test_notebooks.py", "tests/test_grading_roundtrip.py")
LONGEST_FIRST = (  # measured at 02:55 on 2026-12-07 (fresh clone, 2 workers)
    "tests/grading/test_hostile_submissions.py",  # a class of 103 in the sandbox
    "tests/test_grading_roundtrip.py::02",  # each chapter: solutions, delegations, blank, corpus
    "tests/test_grading_roundtrip.py::03",
    "tests/test_grading_roundtrip.py::06",
    "tests/test_grading_roundtrip.py::05",
    "tests/test_dist.py",  # installs the student edition into a new .venv
    "tests/test_grading_roundtrip.py::04",
    "tests/test_grading_roundtrip.py::01",
    "tests/e2e/test_lab.py",
    "tests/test_environment.py",  # waits on the package index
    "tests/test_notebooks.py::02",
    "tests/test_notebooks.py::06",
    "tests/grading/test_kernel_isolation.py",
    "tests/grading/test_collect_to_release.py",
    "tests/test_notebooks.py::03",
    "tests/grading/test_parallel_gradebooks.py",
    "tests/grading/test_sandbox.py",
    "tests/test_release.py",
    "tests/test_notebooks.py::01",
)


def group_of(nodeid: str) -> str:
    """The group a test runs in on the workers, from its node id alone (the scheduler sees only
    ids): its module, or its module and chapter for the per-chapter tests
    (``tests/test_notebooks.py::04``)."""
    module = nodeid.split("::")[0]
    param = nodeid[nodeid.rfind("[") + 1 : -1] if nodeid.endswith("]") else ""
    return f"{module}::{param[:2]}" if module in PER_CHAPTER_MODULES and param in CHAPTERS else module


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """Whole groups (:func:`group_of`) to each worker, in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.nodeid.startswith(prefix) for prefix in SLOW):
            item.add_marker(pytest.mark.slow)
    rank = {group: i for i, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(group_of(item.nodeid), len(rank)))  # stable: the rest keep their order


# --- a throwaway PostgreSQL server on 127.0.0.1 for the grading tests that need one --------
# .ci/run installs PostgreSQL from Debian's packages; elsewhere the tests that need it are
# skipped with a visible reason when it is missing. In CI they fail if it is missing, unless
# .ci/run itself could not install it and said why (COURSE_POSTGRES_UNAVAILABLE).


def service_unavailable(what: str, env_var: str, reason: str, how: str = ".ci/run lo instala con apt-get"):
    """Skip a test whose service (PostgreSQL, Chromium…) is missing, saying why; in CI fail
    instead, unless .ci/run tried to install it and said why in ``env_var``."""
    if os.environ.get(env_var):  # .ci/run tried and said why
        pytest.skip(f"sin {what}: {os.environ[env_var]} ({reason})")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} debería estar disponible en CI: {reason}")
    pytest.skip(f"sin {what} ({reason}); {how}")


def _unavailable(reason: str):
    service_unavailable("PostgreSQL", "COURSE_POSTGRES_UNAVAILABLE", reason)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("no se encuentran initdb/pg_ctl")
    try:
        import psycopg
    except ImportError:
        _unavailable("falta el paquete psycopg")
    base = Path(tempfile.mkdtemp(prefix="course-pg-"))
    os.chmod(base, 0o755)
    data, port = base / "data", free_port()
    preexec = None
    if os.geteuid() == 0:  # the server refuses to run as root
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            user = pwd.getpwnam("nobody")
        os.chown(base, user.pw_uid, user.pw_gid)

        def preexec():
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    run = dict(capture_output=True, text=True, preexec_fn=preexec, timeout=120, cwd=base)
    proc = subprocess.run([initdb, "-D", str(data), "-A", "trust", "-U", "grader", "--no-sync"], **run)
    if proc.returncode:
        _unavailable(f"initdb falló: {proc.stderr[-300:]}")
    proc = subprocess.run(
        [
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {base}",
            "start",
        ],
        **run,
    )
    if proc.returncode:
        _unavailable(f"el servidor no arrancó: {proc.stderr[-300:]}")
    try:
        with psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE gradebook")
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **run)
        shutil.rmtree(base, ignore_errors=True)
