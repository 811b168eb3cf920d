"""Fusion operations and layers in PyTorch (reference versions of notebook 01)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

ELEMENTWISE_MODES = ("sum", "mean", "max", "product")


def fuse_concat(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """Concatenate feature tensors along the last axis; leading (batch) axes must agree."""
    if len(tensors) == 0:
        raise ValueError("fuse_concat necesita al menos un tensor")
    lead = tensors[0].shape[:-1]
    for t in tensors[1:]:
        if t.shape[:-1] != lead:
            raise ValueError(
                f"fuse_concat: las dimensiones iniciales deben coincidir, {tuple(lead)} != {tuple(t.shape[:-1])}"
            )
    return torch.cat(list(tensors), dim=-1)


def fuse_elementwise(tensors: Sequence[torch.Tensor], mode: str = "sum") -> torch.Tensor:
    """Combine same-shape tensors element by element: ``sum``, ``mean``, ``max`` or ``product``."""
    if mode not in ELEMENTWISE_MODES:
        raise ValueError(f"modo desconocido {mode!r}; usa uno de {ELEMENTWISE_MODES}")
    if len(tensors) == 0:
        raise ValueError("fuse_elementwise necesita al menos un tensor")
    shape = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shape:
            raise ValueError(f"fuse_elementwise: formas distintas {tuple(shape)} y {tuple(t.shape)}")
    stacked = torch.stack(list(tensors), dim=0)
    if mode == "sum":
        return stacked.sum(dim=0)
    if mode == "mean":
        return stacked.mean(dim=0)
    if mode == "max":
        return stacked.max(dim=0).values
    return stacked.prod(dim=0)


class WeightedAverage(nn.Module):
    """Learned convex combination of ``n_inputs`` same-shape tensors.

    One logit per input; the weights are ``softmax(logits)``, so they are positive and sum
    to 1. Logits start at zero: every input begins with weight ``1 / n_inputs``.
    """

    def __init__(self, n_inputs: int):
        super().__init__()
        if n_inputs < 1:
            raise ValueError("n_inputs debe ser >= 1")
        self.logits = nn.Parameter(torch.zeros(n_inputs))

    def fusion_weights(self) -> torch.Tensor:
        """The current normalised weights (sum to 1)."""
        return torch.softmax(self.logits, dim=0)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(inputs) != self.logits.numel():
            raise ValueError(f"se esperaban {self.logits.numel()} entradas y llegaron {len(inputs)}")
        stacked = torch.stack(list(inputs), dim=-1)
        return (stacked * self.fusion_weights()).sum(dim=-1)


class GatedFusion(nn.Module):
    """Gated fusion of two ``dim``-sized vectors: ``z * a + (1 - z) * b`` with
    ``z = sigmoid(W [a; b] + c)`` computed per sample and per feature."""

    def __init__(self, dim: int):
        super().__init__()
        self.gate = nn.Linear(2 * dim, dim)

    def gate_values(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The gate ``z`` in [0, 1] (how much of ``a`` passes)."""
        return torch.sigmoid(self.gate(torch.cat([a, b], dim=-1)))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        z = self.gate_values(a, b)
        return z * a + (1 - z) * b


def tensor_fusion(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Tensor (bilinear) fusion: flattened outer product of ``[a, 1]`` and ``[b, 1]`` per sample.

    Appending 1 keeps the unimodal terms ``a`` and ``b`` (and a constant) next to every
    product ``a_i * b_j``. Output shape: ``(batch, (d_a + 1) * (d_b + 1))``.
    """
    if a.shape[:-1] != b.shape[:-1]:
        raise ValueError(f"tensor_fusion: lotes distintos {tuple(a.shape[:-1])} y {tuple(b.shape[:-1])}")
    ones = a.new_ones(*a.shape[:-1], 1)
    a1 = torch.cat([a, ones], dim=-1)
    b1 = torch.cat([b, ones], dim=-1)
    outer = a1.unsqueeze(-1) * b1.unsqueeze(-2)
    return outer.flatten(start_dim=-2)


def fusion_output_dim(dims: Sequence[int], method: str) -> int:
    """Feature size produced by fusing inputs of sizes ``dims`` with ``method``.

    ``concat`` adds sizes; element-wise methods need equal sizes and keep it; ``tensor``
    multiplies ``(d + 1)`` over the inputs.
    """
    dims = [int(d) for d in dims]
    if not dims or any(d < 1 for d in dims):
        raise ValueError("dims debe contener tamaños positivos")
    if method == "concat":
        return sum(dims)
    if method in ELEMENTWISE_MODES:
        if len(set(dims)) != 1:
            raise ValueError(f"'{method}' exige dimensiones iguales, no {dims}: proyecta antes a una común")
        return dims[0]
    if method == "tensor":
        size = 1
        for d in dims:
            size *= d + 1
        return size
    raise ValueError(f"método desconocido {method!r}")


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
