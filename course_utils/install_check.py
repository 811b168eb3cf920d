"""The student edition's ``python run.py test``: does the installation work?

Each release notebook runs up to its first exercise, in FAST mode, in the course kernel, from a
copy in a temporary folder: the libraries, the data and ``course_utils`` load. Part of the
student runtime (the edition has no ``course_utils.tools``, and no papermill: the student set
leaves out the instructor's tools), so it drives nbclient, the library papermill executes with.

    python -m course_utils.install_check [NAME …]   # only the chapters whose name contains NAME
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .config import FAST_ENV, repo_root

KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 600


def before_first_exercise(notebook: dict) -> dict:
    """The cells before the first one a student writes or that grades an answer (nbgrader
    metadata): what runs before any exercise is solved (later demos use the student's answers)."""
    cells = []
    for cell in notebook["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if nbgrader.get("solution") or nbgrader.get("grade"):
            break
        cells.append(cell)
    return dict(notebook, cells=cells)


def chapters_to_check(notebooks: Path, only: Sequence[str]) -> list[Path]:
    """The chapter folders of ``notebooks``, or those whose name contains one of ``only``."""
    chapters = sorted(p for p in notebooks.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [c for c in chapters if not only or any(o in c.name for o in only)]


def run_until_first_exercise(notebook: Path) -> str | None:
    """Execute ``notebook``'s cells before its first exercise, in its folder; None, or the error."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.from_dict(before_first_exercise(nbformat.read(notebook, as_version=4)))
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(notebook.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - a kernel that does not start, a timeout: reported
        return f"{type(err).__name__}: {err}"
    return None


def check_installation(notebooks: Path, only: Sequence[str] = ()) -> int:
    """Run each chapter of ``notebooks`` up to its first exercise; 0 when all of them run."""
    chapters = chapters_to_check(notebooks, only)
    if not chapters:
        print(f"run.py: ningún capítulo coincide con {list(only)}", file=sys.stderr)
        return 1
    os.environ.update({FAST_ENV: "1", "JUPYTER_PREFER_ENV_PATH": "1"})  # the kernels inherit it
    failed = []
    for chapter in chapters:
        with tempfile.TemporaryDirectory(prefix="curso-prueba-") as tmp:
            copy = Path(tmp) / chapter.name
            shutil.copytree(chapter, copy)
            for notebook in sorted(copy.glob("*.ipynb")):
                start = time.perf_counter()
                error = run_until_first_exercise(notebook)
                print(
                    f"{notebook.stem}: {'FALLO' if error else 'bien'} ({time.perf_counter() - start:.0f} s)", flush=True
                )
                if error:
                    print(error, file=sys.stderr)
                    failed.append(notebook.stem)
    if failed:
        print(f"run.py: fallaron {', '.join(failed)}", file=sys.stderr)
        return 1
    print("La instalación funciona: abre el curso con `python run.py lab`.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return check_installation(repo_root() / "notebooks", sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":  # pragma: no cover - `python run.py test` in the edition
    sys.exit(main())
