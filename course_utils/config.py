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
    """The folder holding ``course_utils/``: the course repository (or the student edition) when
    the package is used from there, ``site-packages`` when it is installed as a wheel."""
    return Path(__file__).resolve().parent.parent


def course_root() -> Path | None:
    """The course folder this package runs from (it holds ``pyproject.toml``), or None when the
    package is installed non-editable (``pip install`` of the wheel, as Colab or Binder do)."""
    root = repo_root()
    return root if (root / "pyproject.toml").is_file() else None


# Where the wheel puts the course's data (pyproject.toml's [tool.setuptools.data-files]), under
# the installation's prefix: found through the installed distribution's file list.
INSTALLED_DATA = "share/fusion-multimodal/data"
DISTRIBUTION = "course-utils"


def installed_data_dir() -> Path | None:
    """The data folder a wheel installed (None when the package is not installed from a wheel)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        files = distribution(DISTRIBUTION).files or []
    except PackageNotFoundError:
        return None
    marker = f"{INSTALLED_DATA}/README.md"
    for file in files:
        if str(file).replace("\\", "/").endswith(marker):
            path = Path(file.locate()).resolve().parent
            return path if path.is_dir() else None
    return None


def data_dir(*parts: str) -> Path:
    """Path inside the course data folder: ``$COURSE_DATA_DIR``, else the course folder's
    ``data/``, else (a non-editable install) the data the wheel installed."""
    explicit = os.environ.get(DATA_ENV)
    if explicit:
        base = Path(explicit)
    else:
        root = course_root()
        base = root / "data" if root is not None else installed_data_dir() or repo_root() / "data"
    return base.joinpath(*parts)


def user_cache_dir() -> Path:
    """The per-user cache of this course (a non-editable install writes nothing into site-packages)."""
    import sys

    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "fusion-multimodal" / "cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "fusion-multimodal"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "fusion-multimodal"


def cache_dir(*parts: str) -> Path:
    """Where computed artefacts are cached: ``$COURSE_CACHE_DIR``, else the course folder's
    ``build/cache``, else (a non-editable install) the user's cache folder."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        base = Path(explicit)
    else:
        root = course_root()
        base = root / "build" / "cache" if root is not None else user_cache_dir()
    return base.joinpath(*parts)
