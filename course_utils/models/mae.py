"""A masked autoencoder (MAE, He et al., 2022) around chapter 06's ViT, small enough for the
8×8 digits (chapter 07).

Pre-training hides most patches of each image at random, the **encoder** — a
:class:`~course_utils.models.vit.ViT`, whose patch projection, positions, class token, blocks
and final norm it uses as they are — sees only the visible ones, and a light **decoder** puts a
learned *mask token* in every hidden place, adds its own positions, runs a couple of Pre-LN
blocks over the whole sequence and predicts each patch's pixels. The loss is computed on the
hidden patches only, against pixels normalised patch by patch (``norm_pix_loss`` in the
official code). After pre-training the decoder is thrown away: ``mae.encoder`` is an ordinary
ViT to probe or fine-tune.

``forward(images, masking=None)`` accepts another masking function with the signature of the
chapter's exercise, ``masking(patches, mask_ratio, noise) -> (visible, mask, restore)``, so that
the notebook trains with the student's own; the default is :func:`_random_masking`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .layers import PreLNBlock
from .vit import ViT, patchify

Masking = Callable[[torch.Tensor, float, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def _random_masking(
    tokens: torch.Tensor, mask_ratio: float, noise: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep the ``N - int(N·mask_ratio)`` tokens with the smallest ``noise`` ``(B, N)`` of each row.

    Returns the kept tokens ``(B, K, D)`` (in ascending order of noise), the mask ``(B, N)``
    (1 = hidden, in the original order) and ``restore`` ``(B, N)``: the place of each original
    token in the sequence ``[kept, hidden]``, so that gathering that sequence with ``restore``
    puts every token back where it was."""
    batch, n = noise.shape
    keep = n - int(n * mask_ratio)
    order = noise.argsort(dim=1)
    restore = torch.empty_like(order).scatter_(1, order, torch.arange(n, device=noise.device).expand(batch, n))
    kept = torch.take_along_dim(tokens, order[:, :keep, None], dim=1)
    return kept, (restore >= keep).to(tokens.dtype), restore


def normalised_patch_loss(prediction: torch.Tensor, patches: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MAE's loss: mean squared error against each patch's pixels standardised with that patch's
    own mean and (unbiased) variance, averaged over the hidden patches (``mask`` 1) only."""
    centred = patches - patches.mean(-1, keepdim=True)
    target = centred * torch.rsqrt(centred.pow(2).sum(-1, keepdim=True) / (patches.shape[-1] - 1) + 1e-6)
    per_patch = (prediction - target).pow(2).mean(-1)
    return torch.einsum("bn,bn->", per_patch, mask) / mask.sum()


class MaskedAutoencoder(nn.Module):
    """ViT encoder on the visible patches + light decoder over all of them (see the module)."""

    def __init__(self, decoder_dim: int = 32, decoder_depth: int = 1, mask_ratio: float = 0.75, **encoder_config):
        """``encoder_config``: the encoder's keywords, those of :class:`~course_utils.models.vit.ViT`
        (``image_size``, ``patch_size``, ``in_channels``, ``dim``, ``depth``, ``heads``, …, with its
        defaults; no ``stem``: the MAE reconstructs pixels). The decoder has as many heads as the encoder."""
        super().__init__()
        if encoder_config.get("stem") is not None:
            raise ValueError("el MAE reconstruye píxeles: su codificador ViT no puede llevar stem")
        self.encoder = vit = ViT(**encoder_config)
        n = vit.positions.shape[1] - 1
        self.to_decoder = nn.Linear(vit.dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder_positions = nn.Parameter(torch.randn(1, n + 1, decoder_dim) * 0.02)
        self.decoder = nn.ModuleList(PreLNBlock(decoder_dim, vit.heads) for _ in range(decoder_depth))
        self.decoder_norm = nn.LayerNorm(decoder_dim)
        self.to_pixels = nn.Linear(decoder_dim, vit.patch_proj.in_features)
        nn.init.normal_(self.mask_token, std=0.02)
        self.patch_size, self.mask_ratio, self.num_patches = vit.patch_size, mask_ratio, n

    def patches(self, images: torch.Tensor) -> torch.Tensor:
        """The pixels to reconstruct, ``(B, N, C·p·p)``."""
        return patchify(images, self.patch_size)

    def encode_visible(self, images: torch.Tensor, mask_ratio: float, noise: torch.Tensor, masking: Masking):
        """The encoder on the visible patches: ``(B, 1 + K, dim)`` (class token first), mask, restore."""
        vit = self.encoder
        tokens = vit.patch_proj(self.patches(images)) + vit.positions[:, 1:]
        visible, mask, restore = masking(tokens, mask_ratio, noise)
        x = torch.cat([(vit.cls_token + vit.positions[:, :1]).expand(len(visible), -1, -1), visible], dim=1)
        for block in vit.blocks:
            x = block(x)
        return vit.norm(x), mask, restore

    def forward(
        self,
        images: torch.Tensor,
        mask_ratio: float | None = None,
        noise: torch.Tensor | None = None,
        masking: Masking | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted pixels of every patch ``(B, N, C·p·p)`` (in standardised units) and the mask ``(B, N)``."""
        ratio = self.mask_ratio if mask_ratio is None else mask_ratio
        if noise is None:
            noise = torch.rand(len(images), self.num_patches, device=images.device)
        encoded, mask, restore = self.encode_visible(images, ratio, noise, masking or _random_masking)
        x = self.to_decoder(encoded)
        hidden = self.mask_token.expand(len(x), self.num_patches + 1 - x.shape[1], -1)
        shuffled = torch.cat([x[:, 1:], hidden], dim=1)  # [kept, hidden], then back in place
        in_place = torch.take_along_dim(shuffled, restore[..., None], dim=1)
        x = torch.cat([x[:, :1], in_place], dim=1) + self.decoder_positions
        for block in self.decoder:
            x = block(x)
        return self.to_pixels(self.decoder_norm(x[:, 1:])), mask

    def loss(self, images: torch.Tensor, mask_ratio: float | None = None) -> torch.Tensor:
        prediction, mask = self(images, mask_ratio)
        return normalised_patch_loss(prediction, self.patches(images), mask)

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor, noise: torch.Tensor, mask_ratio: float | None = None):
        """Images rebuilt for drawing ``(B, C, H, W)``: visible patches as they are, hidden ones
        predicted (de-standardised with the true patch's mean and spread, as the MAE paper's
        figures do), and the mask ``(B, N)``."""
        self.eval()
        prediction, mask = self(images, mask_ratio, noise)
        patches = self.patches(images)
        mean, std = patches.mean(-1, keepdim=True), (patches.var(-1, keepdim=True) + 1e-6).sqrt()
        mixed = torch.where(mask[..., None].bool(), prediction * std + mean, patches)
        side = images.shape[-1]
        return torch.nn.functional.fold(
            mixed.transpose(1, 2), (side, side), kernel_size=self.patch_size, stride=self.patch_size
        ), mask
