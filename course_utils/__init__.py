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

__all__ = ["data_dir", "fast_mode", "get_device", "progress", "record_metric", "repo_root", "set_seed"]
__version__ = "0.1.0"
