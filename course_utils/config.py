"""Run-time configuration: seeds, FAST mode, device selection and data paths."""

from __future__ import annotations

import os
import random
from pathlib import Path

FAST_ENV = "COURSE_FAST"
DATA_ENV = "COURSE_DATA_DIR"
CACHE_ENV = "COURSE_CACHE_DIR"
DEFAULT_SEED = 42
NBGRADER_EXECUTION_ENV = "NBGRADER_EXECUTION"
_NBGRADER_GRADING_RUNS = {"validate", "autograde"}

# The words that switch a yes/no environment variable on (COURSE_FAST, COURSE_GPU, …), the one
# list: run.py loads this file by path before anything is installed, so its module body imports
# the standard library only (numpy, torch and TensorFlow are imported inside the functions).
TRUE_WORDS = frozenset({"1", "true", "yes", "si", "sí", "on"})


def is_true(value: str | None) -> bool:
    """Does an environment variable's value switch its option on (``1``, ``true``, ``sí``…)?"""
    return (value or "").strip().lower() in TRUE_WORDS


def fast_mode() -> bool:
    """True when the environment asks for the small, quick version (``COURSE_FAST=1``).

    CI, the autograder and ``course run --fast`` set it so that every notebook runs in
    seconds while still going through every code path. nbgrader's *Validate* button counts
    too (it sets ``NBGRADER_EXECUTION=validate``): checking answers never needs a full
    training run, and a student should not wait minutes for it.
    """
    if os.environ.get(NBGRADER_EXECUTION_ENV) in _NBGRADER_GRADING_RUNS:
        return True
    return is_true(os.environ.get(FAST_ENV))


def set_seed(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy, PyTorch and TensorFlow/Keras (whichever are importable).

    TensorFlow is seeded only if it was already imported, so a PyTorch-only notebook
    does not pay TensorFlow's import time. Returns the seed for convenience.
    """
    import sys

    import numpy as np

    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        torch = None
    if torch is not None:
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return seed


def get_device(device: str = "auto") -> torch.device:  # noqa: F821 - lazy import
    """Return a ``torch.device``: ``"auto"`` picks CUDA when present, else the CPU."""
    import torch

    if device in (None, "", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def repo_root() -> Path:
    """The course repository root (the folder holding ``course_utils/``)."""
    return Path(__file__).resolve().parent.parent


def data_dir(*parts: str) -> Path:
    """Path inside the course data folder (``$COURSE_DATA_DIR`` or ``<repo>/data``)."""
    base = Path(os.environ.get(DATA_ENV) or repo_root() / "data")
    return base.joinpath(*parts)


def cache_dir(*parts: str) -> Path:
    """Where computed artefacts are cached (``$COURSE_CACHE_DIR`` or ``build/cache``)."""
    base = Path(os.environ.get(CACHE_ENV) or repo_root() / "build" / "cache")
    return base.joinpath(*parts)
