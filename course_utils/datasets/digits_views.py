"""Three complementary views of scikit-learn's handwritten digits (real data, shipped with
scikit-learn, no download).

Each 8×8 digit is cut down the middle, so no single view sees the whole digit:

- ``image``   the **left half** (8 rows × 4 columns) as a one-channel image: the "vision" modality;
- ``tabular`` 13 engineered numbers about the **right half**: the ink in each of its 8 rows,
  in each of its 4 columns, and in total (projection profiles, a classic OCR feature);
- ``signal``  a 1-D "audio-like" signal of 16 samples: the whole digit scanned row by row
  (64 pixels), low-pass filtered by averaging groups of 4 and recorded with noise.

Every view is standardised with the **training** split's statistics, so a value of 0 means
"average" and replacing a view by zeros is mean imputation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_CLASSES = 10
SPLITS = ("train", "val", "test")
MODALITIES = ("image", "tabular", "signal")


@dataclass
class DigitViews:
    """The three views and labels, split into train / val / test (stratified)."""

    views: dict[str, dict[str, np.ndarray]]  # split -> modality (+ "label") -> array
    mean: dict[str, np.ndarray] = field(default_factory=dict)  # training statistics per modality
    std: dict[str, np.ndarray] = field(default_factory=dict)

    def split(self, name: str) -> dict[str, np.ndarray]:
        """Arrays of one split: ``image`` (N, 8, 4, 1), ``tabular`` (N, 13), ``signal`` (N, 16), ``label`` (N,)."""
        if name not in self.views:
            raise KeyError(f"partición desconocida {name!r}; use una de {SPLITS}")
        return self.views[name]

    def raw(self, name: str, modality: str) -> np.ndarray:
        """A modality of a split back in original units (undoing the standardisation), for plots."""
        return self.split(name)[modality] * self.std[modality] + self.mean[modality]

    def sizes(self) -> dict[str, int]:
        return {name: len(v["label"]) for name, v in self.views.items()}


def make_views(images: np.ndarray, rng: np.random.Generator, signal_noise: float = 0.15) -> dict[str, np.ndarray]:
    """Raw (unstandardised) views of 8×8 images with values in [0, 1]."""
    left, right = images[:, :, :4], images[:, :, 4:]
    tabular = np.concatenate([right.sum(axis=2), right.sum(axis=1), right.sum(axis=(1, 2))[:, None]], axis=1)
    scan = images.reshape(len(images), 16, 4).mean(axis=2)
    signal = scan + signal_noise * rng.normal(size=scan.shape)
    return {"image": left[..., None], "tabular": tabular, "signal": signal}


def load_digit_views(seed: int = 0, val_size: float = 0.2, test_size: float = 0.2) -> DigitViews:
    """Load digits, build the three views, split them (stratified, by ``seed``) and standardise."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype("float64")
    labels = digits.target.astype("int64")
    rng = np.random.default_rng(seed)
    raw = make_views(images, rng)

    index = np.arange(len(labels))
    train_val, test = train_test_split(index, test_size=test_size, random_state=seed, stratify=labels)
    train, val = train_test_split(
        train_val, test_size=val_size / (1 - test_size), random_state=seed, stratify=labels[train_val]
    )
    parts = {"train": train, "val": val, "test": test}

    data = DigitViews(views={name: {} for name in SPLITS})
    for modality in MODALITIES:
        mean = raw[modality][train].mean(axis=0)
        std = raw[modality][train].std(axis=0)
        std = np.where(std < 1e-6, 1.0, std)
        data.mean[modality], data.std[modality] = mean, std
        for name, idx in parts.items():
            data.views[name][modality] = ((raw[modality][idx] - mean) / std).astype("float32")
    for name, idx in parts.items():
        data.views[name]["label"] = labels[idx]
    return data
