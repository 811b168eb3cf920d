"""scikit-learn's handwritten digits as images (real data shipped with scikit-learn, no
download): 1,797 grey 8×8 images of the digits 0–9, split train / validation / test,
stratified and seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_CLASSES = 10


@dataclass
class DigitImages:
    """Images ``(N, 1, 8, 8)`` float32 in [0, 1] and labels ``(N,)`` int64 of each split."""

    images: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]

    def sizes(self) -> dict[str, int]:
        return {name: len(labels) for name, labels in self.labels.items()}


def load_digit_images(seed: int = 0, val_size: float = 0.1, test_size: float = 0.2) -> DigitImages:
    """Load the digits and split them (stratified by label, shuffled with ``seed``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[:, None]
    labels = digits.target.astype("int64")
    index = np.arange(len(labels))
    train_val, test = train_test_split(index, test_size=test_size, random_state=seed, stratify=labels)
    train, val = train_test_split(
        train_val, test_size=val_size / (1 - test_size), random_state=seed, stratify=labels[train_val]
    )
    parts = {"train": train, "val": val, "test": test}
    return DigitImages(images={k: images[v] for k, v in parts.items()}, labels={k: labels[v] for k, v in parts.items()})
