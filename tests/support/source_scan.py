"""Finding a second implementation of an idea that has one home in ``course_utils`` (attention in
``models/layers.py``, the contrastive loss in ``models/losses.py``) by parsing the package's
source: a scan names the functions whose body matches a predicate."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from . import ROOT

PACKAGE = ROOT / "course_utils"
Function = ast.FunctionDef | ast.AsyncFunctionDef


def mentions_transpose(node: ast.AST) -> bool:
    """Does ``node`` transpose something (``.T``, ``.mT``, ``transpose``, ``swapaxes``)?"""
    return any(
        (isinstance(n, ast.Attribute) and n.attr in ("T", "mT", "transpose", "swapaxes"))
        or (isinstance(n, ast.Name) and n.id in ("transpose", "swapaxes"))
        for n in ast.walk(node)
    )


def calls(node: ast.AST, names: tuple[str, ...]) -> bool:
    """Does ``node`` contain a call of a function or method named in ``names``?"""
    return count_calls(node, names) > 0


def count_calls(node: ast.AST, names: tuple[str, ...]) -> int:
    """How many calls of a function or method named in ``names`` ``node`` contains."""
    return sum(
        isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr in names)
            or (isinstance(n.func, ast.Name) and n.func.id in names)
        )
        for n in ast.walk(node)
    )


def functions_where(source: str, predicate: Callable[[Function], bool]) -> list[str]:
    """``"name (line n)"`` of each function or method of ``source`` for which ``predicate`` holds."""
    return [
        f"{node.name} (line {node.lineno})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and predicate(node)
    ]


def package_hits(scan: Callable[[str], list[str]], home: str, package: Path = PACKAGE) -> dict[str, list[str]]:
    """``scan`` over every module of ``package`` but ``home`` (a path relative to it): what it
    finds, by module (relative to the repository)."""
    return {
        str(path.relative_to(package.parent)): hits
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).as_posix() != home
        if (hits := scan(path.read_text(encoding="utf-8")))
    }
