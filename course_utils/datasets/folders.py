"""Writing a generated dataset folder so that no reader ever sees half of it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_folder(out_dir: Path, marker: str) -> Iterator[Path]:
    """A new empty folder next to ``out_dir`` to write into; when the block ends without an
    error it is renamed to ``out_dir`` in one step (``os.replace``, atomic on one file system),
    so concurrent callers never see a half-written dataset. If another process has put its own
    ``out_dir`` in place first (it holds ``marker``, a file every finished folder has), that
    one is kept. The temporary folder is removed in every case."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        yield work
        try:
            os.replace(work, out_dir)
        except OSError:  # another process finished first: keep theirs
            if not (out_dir / marker).is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
