"""A chapter's solution notebook executed once in FAST mode with the network guard."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from course_utils.tools.environment import patched_environ
from course_utils.tools.grading.sandbox import NETGUARD_DIR


def guarded_env(log_file: Path) -> dict[str, str]:
    """Environment variables that load the network guard into child Python processes."""
    assert (NETGUARD_DIR / "sitecustomize.py").is_file(), f"network guard missing at {NETGUARD_DIR}"
    pythonpath = os.pathsep.join([str(NETGUARD_DIR), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {"PYTHONPATH": pythonpath, "COURSE_NETGUARD_LOG": str(log_file)}


class Execution(NamedTuple):
    result: object  # course_utils.tools.runner.NotebookResult
    path: Path  # the executed notebook
    netguard_log: Path  # outbound connections the notebook attempted (empty: none)


def execute_guarded(chapter: str, out: Path, **kwargs) -> Execution:
    """One FAST execution of ``chapter``'s solution notebook into ``out``, network guarded."""
    from course_utils.tools.runner import run_notebook

    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{chapter}.netguard.log"
    log.write_text("")
    with patched_environ(**guarded_env(log)):
        result = run_notebook(chapter, out, fast=True, progress=False, **kwargs)
    return Execution(result, out / f"{chapter}.ipynb", log)


class Executions:
    """Each chapter's solution notebook executed in FAST mode with the network guard, once per
    test run, on first use: every check that needs an execution reads this one."""

    def __init__(self, out: Path):
        self.out, self._done = out, {}

    def __getitem__(self, chapter: str) -> Execution:
        if chapter not in self._done:
            self._done[chapter] = execute_guarded(chapter, self.out)
        return self._done[chapter]
