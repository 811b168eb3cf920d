"""``course test`` and ``course test-fast``: the test suite with the course's pytest options
(``python run.py test`` and ``test-fast`` hand over here; every argument goes to pytest)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from ..config import repo_root
from .foreground import foreground

# `test-fast` leaves out what executes a course notebook, grades a batch, drives the browser
# or installs an environment (markers in pyproject.toml; tests/conftest.py marks the slow ones).
FAST_SELECTION = ["-m", "not notebook and not roundtrip and not e2e and not slow"]

# Two pytest-xdist workers by default (tests/conftest.py groups the tests that share an expensive
# fixture, longest first): the suite overlaps waiting on the package index, pip and the browser with
# the notebooks' CPU work. COURSE_TEST_WORKERS=1 (or -n/-p no:xdist in the arguments) runs it serially.
WORKERS_ENV = "COURSE_TEST_WORKERS"

# pytest's status when it collected no test: the suite's configuration is broken.
NO_TESTS_COLLECTED = 5


def parallel_options(args: list[str], environ: Mapping[str, str]) -> list[str]:
    """pytest-xdist options for ``course test``/``test-fast``: none when the arguments already
    choose (``-n``, ``--numprocesses``, ``-p no:xdist``) or one worker is asked for."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) for a in args) or "no:xdist" in args:
        return []
    workers = int(environ.get(WORKERS_ENV) or min(2, os.cpu_count() or 1))
    return ["-n", str(workers), "--dist", "loadscope", "--no-loadscope-reorder"] if workers > 1 else []


def pytest_command(args: list[str], fast: bool = False, environ: Mapping[str, str] | None = None) -> list[str]:
    """The pytest command line: the workers, then the edit loop's selection (``fast``) or the
    15 slowest tests at the end (unless ``--durations`` is given), then ``args``."""
    durations = [] if any(a.startswith("--durations") for a in args) else ["--durations=15"]
    selection = FAST_SELECTION if fast else durations
    options = parallel_options(args, os.environ if environ is None else environ)
    return [sys.executable, "-m", "pytest", *options, *selection, *args]


def run_tests(args: list[str], fast: bool = False) -> int:
    """Run the suite (or the edit loop's part of it) in the repository; pytest's exit status."""
    rc = foreground(pytest_command(args, fast), cwd=repo_root())
    if rc == NO_TESTS_COLLECTED:
        print("course test: pytest no recogió ninguna prueba: la configuración de la suite está rota", file=sys.stderr)
    return rc
