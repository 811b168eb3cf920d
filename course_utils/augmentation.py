"""Random image transforms for training (never applied to evaluation data)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(
    images: torch.Tensor, generator: torch.Generator, rotation: float = 10.0, shift: float = 1.0, scale: float = 0.1
) -> torch.Tensor:
    """Rotate (± ``rotation`` degrees), rescale (× 1 ± ``scale``) and translate (± ``shift``
    pixels) every image of a ``(B, C, H, W)`` batch independently, with bilinear resampling
    and zeros outside. The draws come from ``generator`` (on the CPU), so they are seeded."""
    b, _, h, w = images.shape
    uniform = lambda: torch.rand(b, generator=generator) * 2 - 1  # noqa: E731 - U(-1, 1) per image
    angle = uniform() * math.radians(rotation)
    factor = 1 + uniform() * scale
    tx, ty = uniform() * shift * 2 / w, uniform() * shift * 2 / h  # pixels → [-1, 1] coordinates
    cos, sin = torch.cos(angle) / factor, torch.sin(angle) / factor
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
