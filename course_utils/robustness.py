"""Perturbations for testing a multimodal model's robustness to a noisy modality."""

from __future__ import annotations

import numpy as np


def with_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """``x`` plus Gaussian noise of standard deviation ``sigma`` (same dtype, new array)."""
    rng = np.random.default_rng(seed)
    return (x + sigma * rng.normal(size=x.shape)).astype(x.dtype)
