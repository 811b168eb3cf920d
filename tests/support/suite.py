"""How the suite runs: which tests are slow (``python run.py test-fast`` leaves them out) and how
its two pytest-xdist workers share the tests and the cores. ``conftest.py``'s hooks call these."""

from __future__ import annotations

import os

import pytest

from course_utils.tools.environment import math_thread_limits

from . import CHAPTERS


def share_the_cores_between_workers() -> None:
    """Under pytest-xdist, one math thread per process: this worker and every notebook, kernel
    and tool it starts. With two threads each, two workers' notebooks on two cores spin-waited
    for each other (chapters 02 and 06 side by side: 116 s and 120 s instead of 28 s and 20 s)."""
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        import threadpoolctl

        os.environ.update(math_thread_limits(1))
        threadpoolctl.threadpool_limits(1)  # numpy's BLAS, already loaded in this process


# --- what the edit loop runs ------------------------------------------------------------------
# `python run.py test-fast` = pytest -m "not notebook and not roundtrip and not e2e and not slow".
# Tests that run a whole course notebook, grade a class or install an environment are marked
# here, in one place, by node id prefix (the rest of tests/ and tests/grading are unit tests).
SLOW = {
    "tests/test_dist.py::test_edition_installs_and_runs_from_its_own_folder": "installs the student set into a new .venv",
    "tests/test_installed_wheel.py::test_the_wheel_installs_and_runs_chapter_01_fast": "installs the wheel into a new venv",
    "tests/test_environment.py::test_student_set_resolves_for_every_platform_and_python": "12 resolutions against PyPI",
    "tests/test_bootstrap.py::test_probe_finds_the_torch_that_pip_would_install": "asks the package index",
    "tests/grading/test_hostile_submissions.py": "grades a class of 103 in the sandbox",
    "tests/grading/test_plain_nbgrader.py": "grades with plain nbgrader and formgrader's API, in the sandbox",
    "tests/grading/test_kernel_isolation.py": "grades a class in the sandbox",
    "tests/grading/test_collect_to_release.py": "collects and grades a class through the commands",
    "tests/grading/test_parallel_gradebooks.py": "grades the fixture class five times (SQLite, PostgreSQL)",
    "tests/grading/test_sandbox.py": "grades a class in the sandbox and refuses without it",
    "tests/grading/test_feedback.py": "grades a class, then writes its feedback",
    "tests/grading/test_distributed.py": "grades the fixture class on a Dask LocalCluster, kills a worker",
    "tests/hub/test_hub.py": "a class on JupyterHub: three users' servers, grading, feedback",
    "tests/test_release.py::test_release_is_in_sync_with_solutions": "regenerates every chapter's release",
    "tests/test_release.py::test_release_differences_detects_a_hand_edit": "regenerates every chapter's release",
    "tests/models/test_cross_attention.py::test_contrastive_training_learns_and_is_deterministic": "trains twice",
}


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
    "tests/test_installed_wheel.py",  # builds the wheel, installs it into a new .venv, runs chapter 01
    "tests/test_dist.py",  # installs the student edition into a new .venv
    "tests/test_grading_roundtrip.py::07",
    "tests/test_grading_roundtrip.py::08",
    "tests/test_grading_roundtrip.py::04",
    "tests/test_grading_roundtrip.py::01",
    "tests/e2e/test_lab.py",
    "tests/test_environment.py",  # waits on the package index
    "tests/test_notebooks.py::02",
    "tests/test_notebooks.py::06",
    "tests/test_notebooks.py::07",
    "tests/test_notebooks.py::08",
    "tests/hub/test_hub.py",  # a hub, three users' servers, a class graded
    "tests/grading/test_distributed.py",  # a LocalCluster, the class graded twice
    "tests/grading/test_kernel_isolation.py",
    "tests/grading/test_collect_to_release.py",
    "tests/test_notebooks.py::03",
    "tests/grading/test_parallel_gradebooks.py",
    "tests/grading/test_sandbox.py",
    "tests/test_release.py",
    "tests/test_notebooks.py::01",
)


# Modules that read a chapter's shared FAST execution (conftest's ``executed``) join that
# chapter's group, so the execution is made once on one worker: the book's browser tests read
# chapter 01's.
SHARES_EXECUTION = {"tests/e2e/test_book.py": "01"}


def group_of(nodeid: str) -> str:
    """The group a test runs in on the workers, from its node id alone (the scheduler sees only
    ids): its module, or its module and chapter for the per-chapter tests
    (``tests/test_notebooks.py::04``)."""
    module = nodeid.split("::")[0]
    if module in SHARES_EXECUTION:  # runs beside that chapter's executions and reuses one of them
        return f"{PER_CHAPTER_MODULES[0]}::{SHARES_EXECUTION[module]}"
    param = nodeid[nodeid.rfind("[") + 1 : -1] if nodeid.endswith("]") else ""
    return f"{module}::{param[:2]}" if module in PER_CHAPTER_MODULES and param in CHAPTERS else module


def group_scheduler(config, log):
    """Whole groups (:func:`group_of`) to each worker, in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


def mark_and_order(items) -> None:
    """Mark the :data:`SLOW` tests and put the :data:`LONGEST_FIRST` groups first."""
    for item in items:
        if any(item.nodeid.startswith(prefix) for prefix in SLOW):
            item.add_marker(pytest.mark.slow)
    rank = {group: i for i, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(group_of(item.nodeid), len(rank)))  # stable: the rest keep their order
