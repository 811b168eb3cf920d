"""course_utils/tools/suite.py: ``course test`` and ``test-fast`` (what ``python run.py test`` runs)."""

from __future__ import annotations

import os
import sys

from course_utils.tools import cli, suite


def test_tests_run_on_two_workers_unless_the_arguments_or_environment_choose(monkeypatch):
    """The suite runs on two pytest-xdist workers grouped by conftest; -n, -p no:xdist or
    COURSE_TEST_WORKERS=1 run it as asked, and a one-core machine runs it serially."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert suite.parallel_options(["-k", "04"], {}) == ["-n", "2", "--dist", "loadscope", "--no-loadscope-reorder"]
    assert suite.parallel_options(["-n", "4"], {}) == []
    assert suite.parallel_options(["-n4"], {}) == []
    assert suite.parallel_options(["-p", "no:xdist"], {}) == []
    assert suite.parallel_options([], {suite.WORKERS_ENV: "1"}) == []
    assert suite.parallel_options([], {suite.WORKERS_ENV: "3"})[:2] == ["-n", "3"]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert suite.parallel_options([], {}) == []


def test_the_edit_loop_selects_and_the_whole_suite_shows_the_slowest():
    one = {suite.WORKERS_ENV: "1"}
    assert suite.pytest_command(["-x"], environ=one) == [sys.executable, "-m", "pytest", "--durations=15", "-x"]
    assert suite.pytest_command(["--durations=3"], environ=one)[3:] == ["--durations=3"]
    assert suite.pytest_command(["-x"], fast=True, environ=one)[3:] == [*suite.FAST_SELECTION, "-x"]


def test_no_tests_collected_is_an_error(capsys):
    """`python run.py test` passes pytest's exit status on; 5 (nothing collected) says why."""
    rc = suite.run_tests(
        ["tests/test_bootstrap.py", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-k", "ningun_test_se_llama_asi"]
    )
    assert rc == suite.NO_TESTS_COLLECTED
    assert "no recogió ninguna prueba" in capsys.readouterr().err


def test_every_argument_of_course_test_goes_to_pytest(monkeypatch):
    calls = []
    monkeypatch.setattr(suite, "run_tests", lambda args, fast=False: calls.append((args, fast)) or 0)
    assert cli.main(["test", "-h", "-k", "04", "--update-expected-outputs"]) == 0
    assert cli.main(["test-fast", "tests/tools", "-x"]) == 0
    assert calls == [(["-h", "-k", "04", "--update-expected-outputs"], False), (["tests/tools", "-x"], True)]
