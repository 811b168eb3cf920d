"""Minibatches of several aligned modalities (reference versions of notebook 03's exercises)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, TensorDataset

PAD = 0


def aligned_loaders(*arrays: np.ndarray, labels: np.ndarray, n_train: int, batch_size: int = 32,
                    seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """Split every modality and the labels with one stratified ``train_test_split`` (``n_train``
    training examples) and wrap each part in a ``DataLoader`` of ``(*modalities, label)`` tuples.

    The training loader shuffles with a seeded generator; the test loader keeps its order.
    """
    from sklearn.model_selection import train_test_split

    parts = train_test_split(*arrays, labels, train_size=n_train, stratify=labels, random_state=seed)
    train, test = parts[0::2], parts[1::2]

    def dataset(split: Sequence[np.ndarray]) -> TensorDataset:
        return TensorDataset(*(torch.as_tensor(a) for a in split))

    return (DataLoader(dataset(train), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(seed)),
            DataLoader(dataset(test), batch_size=batch_size, shuffle=False))


def pad_collate(batch: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Collate ``{"ids", "label"}`` items of different lengths: pad ``ids`` at the end with ``PAD``
    and add a boolean ``mask`` (True = real token) and the original ``lengths``."""
    sequences = [item["ids"] for item in batch]
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    ids = pad_sequence(sequences, batch_first=True, padding_value=PAD)
    mask = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    labels = torch.stack([torch.as_tensor(item["label"]) for item in batch])
    return {"ids": ids, "mask": mask, "lengths": lengths, "label": labels}


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` ``(..., T, D)`` over the positions where ``mask`` ``(..., T)`` is True
    (all positions when ``mask`` is None); rows with no valid position give zeros. Leading
    dimensions broadcast."""
    if mask is None:
        return values.mean(dim=-2)
    weights = mask.unsqueeze(-1).to(values.dtype)
    return (values * weights).sum(dim=-2) / weights.sum(dim=-2).clamp(min=1.0)
