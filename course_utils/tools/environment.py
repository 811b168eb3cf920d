"""Environments for the tools the instructor and CI run (nbgrader, papermill, JupyterLab)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def patched_environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a ``with`` block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def math_thread_limits(threads: int) -> dict[str, str]:
    """Environment variables that cap the math libraries (OpenMP in PyTorch, MKL, OpenBLAS,
    TensorFlow's pools) at ``threads`` threads each, for the processes started after them.

    Several processes sharing few cores must each use few threads: OpenMP threads wait for work
    by spinning, so two notebooks with two threads each on two cores ran five times slower
    (and burned five times the CPU) than with one thread each."""
    value = str(threads)
    return {
        "OMP_NUM_THREADS": value,
        "MKL_NUM_THREADS": value,
        "OPENBLAS_NUM_THREADS": value,
        "TF_NUM_INTRAOP_THREADS": value,
        "TF_NUM_INTEROP_THREADS": value,
    }


def tool_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) with this interpreter's ``bin/`` first on ``PATH``.

    nbgrader runs helper programs such as ``alembic`` by name, so they must be found in
    the course's virtual environment even when it is not activated.
    """
    from ..lab import interpreter_first_on_path

    return interpreter_first_on_path(base)
