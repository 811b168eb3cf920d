"""Robustness of a multimodal model to a missing or noisy modality."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def with_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """``x`` plus Gaussian noise of standard deviation ``sigma`` (same dtype, new array)."""
    rng = np.random.default_rng(seed)
    return (x + sigma * rng.normal(size=x.shape)).astype(x.dtype)


def robustness_auc(levels: Sequence[float], accuracies: Sequence[float]) -> float:
    """Normalised area under an accuracy-vs-noise curve (trapezoids / width of the range).

    1.0 means perfect accuracy at every noise level; it equals the mean accuracy over the
    range, so curves measured on the same levels are directly comparable.
    """
    levels = np.asarray(levels, dtype=float)
    accuracies = np.asarray(accuracies, dtype=float)
    if levels.shape != accuracies.shape or levels.ndim != 1 or len(levels) < 2:
        raise ValueError("se necesitan al menos dos niveles y una precisión por nivel")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("los niveles de ruido deben ser estrictamente crecientes")
    area = np.sum((accuracies[1:] + accuracies[:-1]) / 2 * np.diff(levels))
    return float(area / (levels[-1] - levels[0]))
