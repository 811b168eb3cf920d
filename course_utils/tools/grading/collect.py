"""Bring students' submissions into nbgrader's ``submitted/<student>/<assignment>/`` layout
from a folder tree ``<student>/<file>.ipynb`` (or ``<student>/<assignment>/…``), reporting
what was taken and what was skipped and why. For an LMS zip, use nbgrader's own
``zip_collect`` (see the README for the file-name pattern of a Moodle export)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

_STUDENT_ID = re.compile(r"^[A-Za-z0-9_.@-]+$")


@dataclass
class Collected:
    taken: list[tuple[str, Path]]
    skipped: list[tuple[Path, str]]


def collect_tree(source: Path, course_root: Path, assignment: str) -> Collected:
    """Copy each ``source/<student>/`` folder's files into ``submitted/<student>/<assignment>/``."""
    source, course_root = Path(source), Path(course_root)
    if not source.is_dir():
        raise SystemExit(f"No existe la carpeta de entregas {source}")
    taken, skipped = [], []
    for folder in sorted(p for p in source.iterdir()):
        if not folder.is_dir():
            skipped.append((folder, "no es una carpeta de estudiante"))
            continue
        if not _STUDENT_ID.match(folder.name):
            skipped.append((folder, "el nombre de la carpeta no es un identificador válido (letras, números, _ . @ -)"))
            continue
        inner = folder / assignment if (folder / assignment).is_dir() else folder
        files = [
            p for p in inner.rglob("*") if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts
        ]
        if not any(p.suffix == ".ipynb" for p in files):
            skipped.append((folder, "no contiene ningún notebook (.ipynb)"))
            continue
        dest = course_root / "submitted" / folder.name / assignment
        shutil.rmtree(dest, ignore_errors=True)
        for path in files:
            target = dest / path.relative_to(inner)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        taken.append((folder.name, dest))
    return Collected(taken, skipped)
