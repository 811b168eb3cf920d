"""``course lock``: re-resolve ``constraints.txt``, the versions CI tested, for every platform and Python."""

from __future__ import annotations

import sys

from ..config import repo_root
from .foreground import foreground


def lock_command() -> list[str]:
    """uv's universal resolution of pyproject.toml with both extras, from Python 3.10 up; uv keeps
    the pins ``constraints.txt`` already has (the versions CI tested) wherever they still fit."""
    return [
        sys.executable,
        "-m",
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "--universal",
        "--extra",
        "dev",
        "--extra",
        "instructor",
        "--python-version",
        "3.10",
        "--annotation-style",
        "line",
        "-o",
        "constraints.txt",
        "--custom-compile-command",
        "python run.py lock",
    ]


def lock() -> int:
    return foreground(lock_command(), cwd=repo_root())
