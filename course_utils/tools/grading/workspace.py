"""Private scratch courses and the copies in and out of them.

Every copy here takes regular files only and never follows a symbolic link: files are opened
with ``O_NOFOLLOW`` and checked with ``fstat``, folders are walked with ``lstat``. A student's
folder may hold links to anything the grader can read (or FIFOs, devices…); those are skipped,
never read, chmodded or copied."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from pathlib import Path

_SKIPPED_DIRS = {".ipynb_checkpoints"}


def submitted_students(course_root: Path, assignment: str) -> list[str]:
    """Students with a folder for ``assignment`` under ``submitted/``, sorted."""
    base = course_root / "submitted"
    if not base.is_dir():
        return []
    return sorted(
        d.name
        for d in base.iterdir()
        if not d.is_symlink() and (d / assignment).is_dir() and not (d / assignment).is_symlink()
    )


def copy_regular_file(source: Path, dest: Path) -> None:
    """Copy one regular file without following a link at ``source`` or ``dest``; raise
    ``OSError`` when ``source`` is not a regular file."""
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{source} no es un fichero normal")
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            with os.fdopen(fd, "rb", closefd=False) as src, os.fdopen(out, "wb", closefd=False) as dst:
                shutil.copyfileobj(src, dst)
        finally:
            os.close(out)
    finally:
        os.close(fd)


def regular_files(source: Path, skip_notebooks: bool = False) -> list[Path]:
    """Regular files under ``source`` (relative paths), found without following any link."""
    found: list[Path] = []

    def walk(folder: Path, rel: Path) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIPPED_DIRS:
                        walk(folder / entry.name, rel / entry.name)
                elif entry.is_file(follow_symlinks=False):
                    if not (skip_notebooks and entry.name.endswith(".ipynb")):
                        found.append(rel / entry.name)

    if source.is_dir() and not source.is_symlink():
        walk(source, Path())
    return sorted(found)


def copy_regular_files(source: Path, dest: Path, skip_notebooks: bool = False) -> None:
    """Copy the regular files under ``source`` into ``dest`` (created); links, checkpoints
    and anything that is not a plain file are left behind."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in regular_files(source, skip_notebooks):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        copy_regular_file(source / rel, dest / rel)


def remove_tree(path: Path) -> None:
    """Delete ``path`` (a folder, a file or a link) without following links."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def copy_back(source: Path, dest: Path, names: list[str]) -> list[str]:
    """Replace ``dest`` with the regular files ``names`` found directly in ``source``; return
    the names that were missing or not regular files (nothing else is ever looked at)."""
    remove_tree(dest)
    dest.mkdir(parents=True)
    skipped = []
    for name in names:
        try:
            copy_regular_file(source / name, dest / name)
        except OSError:
            skipped.append(name)
    return skipped


def make_workspace(course_root: Path, assignment: str, student: str, template_db: Path, workdir: Path) -> Path:
    """The private scratch course for one student: config, their submission, a gradebook copy.

    It lives under an unguessable name; students' code runs in a sandbox that sees none of it
    but the copy of the notebook's folder."""
    ws = workdir / "students" / f"{secrets.token_hex(4)}"
    (ws / "home").mkdir(parents=True)
    config = (course_root / "nbgrader_config.py").read_text(encoding="utf-8")
    # nbgrader only logs a broken config file and goes on with defaults: refuse instead
    compile(config, str(course_root / "nbgrader_config.py"), "exec")
    (ws / "nbgrader_config.py").write_text(config, encoding="utf-8")
    # data files only, never the solution notebooks
    copy_regular_files(course_root / "solutions" / assignment, ws / "solutions" / assignment, skip_notebooks=True)
    copy_regular_files(course_root / "submitted" / student / assignment, ws / "submitted" / student / assignment)
    shutil.copyfile(template_db, ws / "gradebook.db")
    return ws
