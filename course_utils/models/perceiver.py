"""The Perceiver's latent bottleneck: a small, fixed array of learned latent vectors reads a
long input through cross-attention (cost ∝ latents × input length, linear in the input),
then only the latents go through self-attention blocks (cost independent of the input).

For comparison, :class:`FullSelfAttention` runs the same blocks over the whole input
(cost ∝ input length², quadratic).

:func:`pixels_as_set` turns images into what a Perceiver reads: an unordered set of pixels,
each carrying its own position as Fourier features (Tancik et al., 2020), since attention
alone cannot tell where a pixel was.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import MultiHeadAttention, PreLN, PreLNBlock


class Perceiver(nn.Module):
    """``(B, N, input_dim)`` inputs → ``(B, num_latents, latent_dim)`` latents, or class logits
    (mean of the latents → linear head) when ``num_classes`` is given."""

    def __init__(
        self,
        input_dim: int,
        num_latents: int = 16,
        latent_dim: int = 64,
        heads: int = 4,
        depth: int = 2,
        num_classes: int | None = None,
    ):
        super().__init__()
        self.input_proj = nn.Linear(input_dim, latent_dim)  # the seed used it without defining input_dim
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim) * 0.02)
        self.input_norm = nn.LayerNorm(latent_dim)
        self.read = PreLN(latent_dim, MultiHeadAttention(latent_dim, heads))  # latents + attention(LN(latents), input)
        self.blocks = nn.ModuleList(PreLNBlock(latent_dim, heads) for _ in range(depth))
        self.head = nn.Linear(latent_dim, num_classes) if num_classes else None

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask`` ``(B, N)``: True/1 for real input positions (padding is never read)."""
        x = self.input_norm(self.input_proj(inputs))
        latents = self.latents.expand(inputs.shape[0], -1, -1)
        latents = self.read(latents, x, mask)  # the only place where the input is seen
        for block in self.blocks:
            latents = block(latents)
        return latents if self.head is None else self.head(latents.mean(dim=1))


class FullSelfAttention(nn.Module):
    """Baseline: project the input and run ``depth`` self-attention blocks over all of it."""

    def __init__(self, input_dim: int, dim: int = 64, heads: int = 4, depth: int = 2):
        super().__init__()
        self.input_proj = nn.Linear(input_dim, dim)
        self.blocks = nn.ModuleList(PreLNBlock(dim, heads) for _ in range(depth))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.input_proj(inputs)
        for block in self.blocks:
            x = block(x)
        return x


def fourier_positions(height: int, width: int, bands: int) -> torch.Tensor:
    """``(H·W, 2 + 4·bands)`` features of every pixel position, row-major: the coordinates
    in [-1, 1] and ``sin``/``cos`` of π·f·coordinate for ``bands`` frequencies ``f`` spaced
    linearly from 1 to the Nyquist frequency of the larger side."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    coords = torch.stack([xs.flatten(), ys.flatten()], dim=1)  # (H·W, 2)
    freqs = torch.linspace(1.0, max(height, width) / 2, bands)
    angles = math.pi * coords[:, :, None] * freqs  # (H·W, 2, bands)
    return torch.cat([coords, angles.sin().flatten(1), angles.cos().flatten(1)], dim=1)


def pixels_as_set(images: torch.Tensor, bands: int = 4) -> torch.Tensor:
    """``(B, C, H, W)`` images → ``(B, H·W, C + 2 + 4·bands)``: one element per pixel, its
    values followed by the Fourier features of its position."""
    b, c, h, w = images.shape
    values = images.flatten(2).transpose(1, 2)  # (B, H·W, C)
    positions = fourier_positions(h, w, bands).to(images)
    return torch.cat([values, positions.expand(b, -1, -1)], dim=2)


class PixelPerceiver(nn.Module):
    """A Perceiver classifier that reads images pixel by pixel: :func:`pixels_as_set` → latent
    cross-attention → latent self-attention → class logits."""

    def __init__(self, in_channels: int = 1, bands: int = 4, num_classes: int = 10, **perceiver_config):
        """``perceiver_config``: the other keywords of :class:`Perceiver` (``num_latents``,
        ``latent_dim``, ``heads``, ``depth``, with its defaults); its input is each pixel's
        ``in_channels`` values and ``2 + 4·bands`` position features."""
        super().__init__()
        self.bands = bands
        self.perceiver = Perceiver(in_channels + 2 + 4 * bands, num_classes=num_classes, **perceiver_config)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.perceiver(pixels_as_set(images, self.bands))
