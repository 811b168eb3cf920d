"""Shared fixtures: the repository, the chapter list, and one guarded FAST execution of
every solution notebook that several test modules inspect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils.chapters import list_chapters
from course_utils.config import patched_environ, repo_root

ROOT = repo_root()
CHAPTERS = list_chapters()
NETGUARD_DIR = ROOT / "course_utils" / "grading" / "netguard"


def guarded_env(log_file: Path) -> dict[str, str]:
    """Environment variables that load the network guard into child Python processes."""
    pythonpath = os.pathsep.join([str(NETGUARD_DIR), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {"PYTHONPATH": pythonpath, "COURSE_NETGUARD_LOG": str(log_file)}


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """Execute every chapter's solution notebook once in FAST mode, with the network guard.

    Returns ``{chapter: (NotebookResult, executed_path, netguard_log_path)}``.
    """
    from course_utils.runner import run_notebook

    out = tmp_path_factory.mktemp("executed")
    results = {}
    for chapter in CHAPTERS:
        log = out / f"{chapter}.netguard.log"
        log.touch()
        with patched_environ(**guarded_env(log)):
            result = run_notebook(chapter, out, fast=True, progress=False)
        results[chapter] = (result, out / f"{chapter}.ipynb", log)
    return results
