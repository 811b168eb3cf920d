"""The Perceiver's latent bottleneck: a small, fixed array of learned latent vectors reads a
long input through cross-attention (cost ∝ latents × input length, linear in the input),
then only the latents go through self-attention blocks (cost independent of the input).

For comparison, :class:`FullSelfAttention` runs the same blocks over the whole input
(cost ∝ input length², quadratic).
"""
from __future__ import annotations

import torch
from torch import nn

from .vit import EncoderBlock


class Perceiver(nn.Module):
    """``(B, N, input_dim)`` inputs → ``(B, num_latents, latent_dim)`` latents, or class logits
    (mean of the latents → linear head) when ``num_classes`` is given."""

    def __init__(self, input_dim: int, num_latents: int = 16, latent_dim: int = 64, heads: int = 4,
                 depth: int = 2, num_classes: int | None = None):
        super().__init__()
        self.input_proj = nn.Linear(input_dim, latent_dim)      # the seed used it without defining input_dim
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim) * 0.02)
        self.latent_norm = nn.LayerNorm(latent_dim)
        self.input_norm = nn.LayerNorm(latent_dim)
        self.cross_attention = nn.MultiheadAttention(latent_dim, heads, batch_first=True)
        self.blocks = nn.ModuleList(EncoderBlock(latent_dim, heads) for _ in range(depth))
        self.head = nn.Linear(latent_dim, num_classes) if num_classes else None

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask`` ``(B, N)``: True/1 for real input positions (padding is never read)."""
        x = self.input_norm(self.input_proj(inputs))
        latents = self.latents.expand(inputs.shape[0], -1, -1)
        padding = None if mask is None else ~mask.bool()
        read, _ = self.cross_attention(self.latent_norm(latents), x, x, key_padding_mask=padding,
                                       need_weights=False)
        latents = latents + read                  # the only place where the input is seen
        for block in self.blocks:
            latents = block(latents)
        return latents if self.head is None else self.head(latents.mean(dim=1))


class FullSelfAttention(nn.Module):
    """Baseline: project the input and run ``depth`` self-attention blocks over all of it."""

    def __init__(self, input_dim: int, dim: int = 64, heads: int = 4, depth: int = 2):
        super().__init__()
        self.input_proj = nn.Linear(input_dim, dim)
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(depth))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.input_proj(inputs)
        for block in self.blocks:
            x = block(x)
        return x
