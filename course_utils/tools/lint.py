"""``course lint``: ruff's lint and format check over the repository (configured in pyproject.toml)."""

from __future__ import annotations

import sys

from ..config import repo_root
from .foreground import foreground


def lint() -> int:
    """``ruff check .`` and ``ruff format --check .``, both always run; non-zero if either fails."""
    ruff = [sys.executable, "-m", "ruff"]
    checked = foreground([*ruff, "check", "."], cwd=repo_root())
    formatted = foreground([*ruff, "format", "--check", "."], cwd=repo_root())
    return formatted or checked
