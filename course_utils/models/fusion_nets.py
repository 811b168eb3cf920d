"""Encoders for the digit views and the fusion networks of notebooks 02 and 03 (PyTorch).

Notebook 02's graded networks (``IntermediateFusion``, ``ThreeBranchFusion``) are not here:
notebook 03 trains its three-input network with :class:`MultiInputNet`, built generically from
a list of input sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def mlp(sizes: Sequence[int], dropout: float = 0.0) -> nn.Sequential:
    """Linear + ReLU layers through ``sizes`` (ReLU after every layer, dropout optional)."""
    layers: list[nn.Module] = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(d_in, d_out), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class ImageEncoder(nn.Module):
    """Small CNN for a one-channel image given channels-last ``(B, H, W, 1)`` → ``(B, out_dim)``."""

    def __init__(self, out_dim: int = 32, height: int = 8, width: int = 4):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * height * width, out_dim), nn.ReLU())

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(image.permute(0, 3, 1, 2)))


class SignalEncoder(nn.Module):
    """1-D CNN for a signal ``(B, T)`` → ``(B, out_dim)``."""

    def __init__(self, out_dim: int = 32, length: int = 16):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool1d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * (length // 2), out_dim), nn.ReLU())

    def forward(self, signal: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(signal.unsqueeze(1)))


def tabular_encoder(in_dim: int, out_dim: int = 32) -> nn.Sequential:
    """MLP encoder for tabular features ``(B, in_dim)`` → ``(B, out_dim)``."""
    return mlp([in_dim, 64, out_dim])


class Unimodal(nn.Module):
    """One encoder and a linear classifier: the single-modality baseline."""

    def __init__(self, encoder: nn.Module, feature_dim: int, n_classes: int = 10):
        super().__init__()
        self.encoder = encoder
        self.output = nn.Linear(feature_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.encoder(x))


class EarlyFusion(nn.Module):
    """Early (input-level) fusion: flatten every raw input, concatenate, one MLP → logits."""

    def __init__(self, input_dims: Sequence[int], hidden: int = 128, n_classes: int = 10):
        super().__init__()
        self.body = mlp([sum(input_dims), hidden, hidden // 2])
        self.output = nn.Linear(hidden // 2, n_classes)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        flat = torch.cat([x.flatten(start_dim=1) for x in inputs], dim=-1)
        return self.output(self.body(flat))


class MultiInputNet(nn.Module):
    """Intermediate fusion of any number of vector inputs, concatenated.

    Input ``i`` (``(B, input_dims[i])``) goes through its own path ``Linear → ReLU`` to
    ``widths[i]`` and a ``Linear`` to ``fusion_dim``; the paths' outputs are concatenated and a
    ``Linear → ReLU → Linear`` head gives the logits. The layers are created in the order
    encoders, projections, head, so a seed gives the same weights as building them one by one
    in that order.
    """

    def __init__(
        self,
        input_dims: Sequence[int],
        widths: Sequence[int],
        fusion_dim: int = 32,
        hidden: int = 64,
        n_classes: int = 2,
    ):
        super().__init__()
        if len(input_dims) != len(widths) or not widths:
            raise ValueError(f"una anchura por entrada: {len(input_dims)} entradas y {len(widths)} anchuras")
        encoders = [mlp([size, width]) for size, width in zip(input_dims, widths)]
        projections = [nn.Linear(width, fusion_dim) for width in widths]
        self.paths = nn.ModuleList(nn.Sequential(*pair) for pair in zip(encoders, projections))
        self.head = nn.Sequential(*mlp([fusion_dim * len(widths), hidden]), nn.Linear(hidden, n_classes))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if len(inputs) != len(self.paths):
            raise ValueError(f"se esperaban {len(self.paths)} entradas y llegaron {len(inputs)}")
        return self.head(torch.cat([path(x) for path, x in zip(self.paths, inputs)], dim=-1))


class HybridFusion(nn.Module):
    """Hybrid fusion: a joint head on the concatenated features plus each modality's own decision.

    Every encoder's features feed a unimodal linear classifier (late fusion of decisions) and,
    concatenated, a joint ``Linear → ReLU → Linear`` head (intermediate fusion); the output
    logits are the joint logits plus every unimodal logit vector (a sum in log space).
    """

    def __init__(
        self, encoders: Sequence[nn.Module], feature_dims: Sequence[int], hidden: int = 64, n_classes: int = 10
    ):
        super().__init__()
        if len(encoders) != len(feature_dims):
            raise ValueError("una dimensión por codificador")
        self.encoders = nn.ModuleList(encoders)
        self.unimodal_heads = nn.ModuleList(nn.Linear(d, n_classes) for d in feature_dims)
        self.joint_head = nn.Sequential(nn.Linear(sum(feature_dims), hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        feats = [encoder(x) for encoder, x in zip(self.encoders, inputs)]
        logits = self.joint_head(torch.cat(feats, dim=-1))
        for head, f in zip(self.unimodal_heads, feats):
            logits = logits + head(f)
        return logits
