"""Modality dropout in PyTorch, used by notebook 02's demonstrations."""
from __future__ import annotations

from typing import Sequence

import torch


def modality_dropout(inputs: Sequence[torch.Tensor], p: float,
                     generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """Drop whole modalities at random, per sample, during training (set them to zero).

    Each sample loses each modality with probability ``p``; a sample that would lose all of
    them keeps one, chosen at random. With standardised inputs, zero is the training mean,
    so a dropped modality looks exactly like a missing one imputed by its mean.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p debe estar en [0, 1], no {p}")
    inputs = list(inputs)
    if p == 0.0 or not inputs:
        return inputs
    batch, n_mod = inputs[0].shape[0], len(inputs)
    keep = torch.rand(batch, n_mod, generator=generator) >= p
    none_kept = ~keep.any(dim=1)
    if none_kept.any():
        rescue = torch.randint(n_mod, (int(none_kept.sum()),), generator=generator)
        keep[none_kept.nonzero(as_tuple=True)[0], rescue] = True
    out = []
    for m, x in enumerate(inputs):
        mask = keep[:, m].to(device=x.device, dtype=x.dtype).reshape(batch, *([1] * (x.dim() - 1)))
        out.append(x * mask)
    return out
