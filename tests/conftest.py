"""pytest's fixtures and hooks for the suite: one guarded FAST execution of each solution notebook
that several test modules inspect (made on first use, so ``-k 04`` executes only chapter 04), a
throwaway PostgreSQL server, the marks that select the edit loop's tests (``python run.py
test-fast``) and the two workers' scheduler. The code behind them is in ``tests/support/``, which
test modules import (``from support import ROOT``); nothing is imported from this file."""

from __future__ import annotations

import pytest

from support import CHAPTERS, ROOT  # noqa: F401 - older test modules still import them from here
from support.notebooks import Executions
from support.services import free_port, postgres_server, service_unavailable  # noqa: F401 - likewise
from support.suite import group_scheduler, mark_and_order, share_the_cores_between_workers

share_the_cores_between_workers()


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> Executions:
    """``executed[chapter]`` → :class:`support.notebooks.Execution` (the chapter is executed when
    first asked for)."""
    return Executions(tmp_path_factory.mktemp("executed"))


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a throwaway PostgreSQL database for the grading tests that need one."""
    with postgres_server() as url:
        yield url


def pytest_addoption(parser):
    parser.addoption(
        "--update-expected-outputs",
        action="store_true",
        help="rewrite tests/expected_outputs/<chapter>.json from this run's FAST executions "
        "(after a deliberate change to a cell tagged nbval-check-output)",
    )


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """Whole groups (:func:`support.suite.group_of`) to each worker, in collection order."""
    return group_scheduler(config, log)


def pytest_collection_modifyitems(config, items):
    mark_and_order(items)
