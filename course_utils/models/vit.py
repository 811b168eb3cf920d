"""A Vision Transformer built from its parts, small enough for 8×8 digits on a laptop CPU.

Patch embedding (cutting the patches with ``unfold`` and applying one linear layer, equal to
a strided convolution), class token, learned positions, Pre-LN encoder blocks
(:class:`course_utils.models.layers.PreLNBlock`, whose attention can keep its weights so that they
can be drawn), and a linear head. The same blocks serve the text encoder of
:mod:`course_utils.models.clip` and the Perceiver.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import PreLNBlock, keeping_weights


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``(B, C, H, W)`` → ``(B, N, C·p·p)``: the patches in row-major order, each flattened
    channel-first (the order a convolution kernel uses)."""
    return F.unfold(images, kernel_size=patch_size, stride=patch_size).transpose(1, 2)


def patch_embed_as_linear(embed: nn.Module) -> nn.Linear:
    """The ``nn.Linear`` that, applied to :func:`patchify`'s output, equals a patch embedding
    ``embed`` whose ``proj`` is a convolution with kernel and stride equal to the patch size."""
    weight = embed.proj.weight
    linear = nn.Linear(weight[0].numel(), weight.shape[0])
    with torch.no_grad():
        linear.weight.copy_(weight.reshape(weight.shape[0], -1))
        linear.bias.copy_(embed.proj.bias)
    return linear


def conv_stem(in_channels: int, width: int = 32) -> nn.Sequential:
    """Two 3×3 convolutions, each followed by ReLU and a 2×2 max-pool: ``(B, C, H, W)`` →
    ``(B, width, H/4, W/4)``. Dosovitskiy et al.'s *hybrid* ViT feeds such CNN feature maps,
    instead of pixels, to the patch embedding."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


def _class_token_then_patches(tokens: torch.Tensor, cls_token: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """``(B, N, D)`` patch tokens → ``(B, N+1, D)``: the class token ``(1, 1, D)`` in front, the
    positions ``(1, N+1, D)`` added. Written as padding (an empty first slot that the class token
    fills as an offset), not as notebook 06's concatenation; ``tests/test_twins.py`` checks that the
    two agree wherever the notebook's solution is defined."""
    first_slot = F.pad(cls_token, (0, 0, 0, tokens.shape[1]))  # (1, N+1, D): cls, then zeros
    return F.pad(tokens, (0, 0, 1, 0)) + (positions + first_slot)


class ViT(nn.Module):
    """Patch embedding → class token + positions → ``depth`` encoder blocks → LayerNorm →
    the class token's vector (``features``) → linear head (``forward`` gives logits).

    The patch embedding is ``patch_proj``, one ``nn.Linear`` applied to :func:`patchify`'s
    patches (the same map as a convolution with kernel and stride equal to the patch size,
    and the same initial weights, flattened). The class token enters as a learned offset of
    an empty first slot: the patch sequence is padded with one zero vector in front, and
    ``cls_token`` is added to the first position's embedding.

    With a ``stem`` (e.g. :func:`conv_stem`) the patches are cut from its feature maps, so
    ``image_size`` and ``in_channels`` describe the stem's output (the hybrid ViT)."""

    def __init__(
        self,
        image_size: int = 8,
        patch_size: int = 2,
        in_channels: int = 1,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: int = 2,
        num_classes: int = 10,
        dropout: float = 0.0,
        stem: nn.Module | None = None,
    ):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(
                f"image_size {image_size} no es múltiplo de patch_size {patch_size}: los parches deben cubrir la imagen"
            )
        self.stem = stem
        self.patch_size = patch_size
        self.patch_proj = nn.Linear(in_channels * patch_size * patch_size, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.positions = nn.Parameter(torch.zeros(1, (image_size // patch_size) ** 2 + 1, dim))
        nn.init.normal_(self.positions, std=0.02)
        nn.init.normal_(self.cls_token, std=0.02)
        self.blocks = nn.ModuleList(PreLNBlock(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        self.dim, self.heads = dim, heads

    def tokens(self, images: torch.Tensor) -> torch.Tensor:
        """Every normalised output vector ``(B, N+1, dim)``: the class token's, then one per patch
        (what an encoder–decoder's cross-attention reads, chapter 07)."""
        if self.stem is not None:
            images = self.stem(images)
        x = _class_token_then_patches(
            self.patch_proj(patchify(images, self.patch_size)), self.cls_token, self.positions
        )
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The normalised class-token vector ``(B, dim)``: the image's summary."""
        return self.tokens(images)[:, 0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))

    @torch.no_grad()
    def attention_maps(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Attention weights ``(B, heads, N+1, N+1)`` of every block, for ``images``."""
        self.eval()
        attentions = [block.attention.sublayer for block in self.blocks]
        with keeping_weights(*attentions):
            self.features(images)
        return [attention.last_weights for attention in attentions]


def hybrid_vit(image_size: int = 32, in_channels: int = 3, stem_width: int = 32, **vit_config) -> ViT:
    """Dosovitskiy et al.'s hybrid ViT: :func:`conv_stem` on ``image_size``-pixel images with
    ``in_channels`` channels, then a :class:`ViT` (the rest of its keywords in ``vit_config``)
    on the stem's ``stem_width`` feature maps, a quarter of the image's side."""
    if image_size % 4:
        raise ValueError(f"image_size {image_size} no es múltiplo de 4: el stem convolucional divide el lado entre 4")
    stem = conv_stem(in_channels, stem_width)
    return ViT(image_size=image_size // 4, in_channels=stem_width, stem=stem, **vit_config)
