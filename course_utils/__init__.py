"""Fusión multimodal — the helper package every course notebook imports.

The public surface is small on purpose: seeds, FAST mode, the device, data paths, a
progress bar, and ``record_metric`` for the course report. Spanish assertion helpers for
graded tests live in :mod:`course_utils.checks`; fusion layers in :mod:`course_utils.fusion`.
"""

import os as _os

# Keras 3 runs on TensorFlow in this course; quieten TensorFlow's C++ start-up logs.
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import data_dir, fast_mode, get_device, repo_root, set_seed  # noqa: E402
from .progress import progress  # noqa: E402
from .report import record_metric  # noqa: E402


def _decimal_comma_in_plots() -> None:
    """Figures made with pyplot get the decimal comma on their axes (:mod:`course_utils.plots`)."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a dependency of the course
        return
    hook, hooks = "course_utils.plots:decimal_comma_axes", list(matplotlib.rcParams["figure.hooks"])
    if hook not in hooks:
        matplotlib.rcParams["figure.hooks"] = [*hooks, hook]


_decimal_comma_in_plots()

__all__ = ["data_dir", "fast_mode", "get_device", "progress", "record_metric", "repo_root", "set_seed"]
__version__ = "0.1.0"
