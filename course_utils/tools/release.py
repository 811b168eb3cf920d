"""Student release: generate ``notebooks/`` from ``solutions/`` with nbgrader, and check
that the committed release is what nbgrader would generate now."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from ..config import repo_root
from .chapters import list_chapters
from .environment import tool_environment

# Fields of nbgrader's cell metadata that describe the exercise (checksums and
# other bookkeeping are left out of the comparison).
_STABLE_NBGRADER_KEYS = ("grade", "solution", "locked", "task", "grade_id", "points")


# `python -m nbgrader` that reads a new gradebook's schema version in-process (nbgrader_main.py)
NBGRADER = [sys.executable, "-m", "course_utils.tools.nbgrader_main"]


def nbgrader_command(*args: str, root: Path, extra: list[str] | None = None) -> list[str]:
    """Command line for the nbgrader found beside this Python, run against ``root``."""
    return [
        *NBGRADER,
        *args,
        f"--CourseDirectory.root={root}",
        *(extra or []),
    ]


def run_nbgrader(cmd: list[str], cwd: Path) -> None:
    """Run an nbgrader command; raise with its log when it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tool_environment())
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader failed ({' '.join(cmd[3:5])}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")


def generate_release(
    root: Path | None = None,
    release_dir: Path | None = None,
    chapters: list[str] | None = None,
    db_url: str | None = None,
) -> list[Path]:
    """Run ``nbgrader generate_assignment`` for each chapter; return the release notebooks.

    ``release_dir`` (default ``<root>/notebooks``) and ``db_url`` (default nbgrader's
    ``<root>/gradebook.db``) can point elsewhere, e.g. to a temporary folder.
    """
    root = (root or repo_root()).resolve()
    release_dir = (release_dir or root / "notebooks").resolve()
    chapters = chapters or list_chapters(root / "solutions")
    extra = [f"--CourseDirectory.release_directory={release_dir}"]
    if db_url:
        extra.append(f"--CourseDirectory.db_url={db_url}")
    produced = []
    for chapter in chapters:
        cmd = nbgrader_command("generate_assignment", chapter, "--force", root=root, extra=extra)
        run_nbgrader(cmd, cwd=root)
        produced.append(release_dir / chapter / f"{chapter}.ipynb")
    return produced


def _cell_signature(cell: nbformat.NotebookNode) -> tuple:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    stable = tuple((k, meta.get(k)) for k in _STABLE_NBGRADER_KEYS)
    tags = tuple(cell.get("metadata", {}).get("tags", []))
    return (cell.cell_type, cell.source, stable, tags)


def notebook_signature(path: Path) -> list[tuple]:
    """What must agree between two releases: each cell's type, source, tags and grading metadata."""
    nb = nbformat.read(path, as_version=4)
    return [_cell_signature(c) for c in nb.cells]


def release_differences(root: Path | None = None) -> list[str]:
    """Regenerate the release in a temporary folder and list what differs from ``notebooks/``."""
    root = (root or repo_root()).resolve()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        fresh_dir = Path(tmp) / "release"
        generate_release(root, fresh_dir, db_url=f"sqlite:///{Path(tmp) / 'gradebook.db'}")
        committed_dir = root / "notebooks"
        fresh = {p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file()}
        committed = (
            {
                p.relative_to(committed_dir)
                for p in committed_dir.rglob("*")
                if p.is_file() and ".ipynb_checkpoints" not in p.parts
            }
            if committed_dir.is_dir()
            else set()
        )
        for rel in sorted(fresh - committed):
            problems.append(f"missing from notebooks/: {rel}")
        for rel in sorted(committed - fresh):
            problems.append(f"not generated from solutions/ (stale?): {rel}")
        for rel in sorted(fresh & committed):
            if rel.suffix == ".ipynb":
                if notebook_signature(fresh_dir / rel) != notebook_signature(committed_dir / rel):
                    problems.append(f"out of date: notebooks/{rel}")
            elif (fresh_dir / rel).read_bytes() != (committed_dir / rel).read_bytes():
                problems.append(f"out of date: notebooks/{rel}")
    return problems


def copy_course(root: Path, dest: Path) -> Path:
    """Copy the parts of the course nbgrader needs (solutions + config) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        root / "solutions",
        dest / "solutions",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest
