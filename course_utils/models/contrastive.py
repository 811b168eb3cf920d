"""Image and text encoders that return **sequences** (a grid of patch features, one feature per
word), and the CLIP-style dual encoder built on them: projections with LayerNorm, L2
normalisation and a learnable temperature; the model trains with the symmetric InfoNCE of
:mod:`course_utils.models.losses` (notebook 05 writes the loss, notebook 06 its multi-positive form)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

INITIAL_TEMPERATURE = 0.07
MAX_LOGIT_SCALE = 100.0


class ImageGridEncoder(nn.Module):
    """Small CNN: ``(B, 3, 32, 32)`` images → ``(B, 16, dim)`` features of a 4×4 grid of patches.

    A learned position embedding is added to each patch, so that words such as "izquierda"
    can be matched to *where* a patch is, not only to what it shows.
    """

    def __init__(self, dim: int = 64, channels: tuple[int, int, int] = (32, 48, 64), grid: int = 4):
        super().__init__()
        layers, in_ch = [], 3
        for out_ch in channels:  # each block halves the resolution: 32 → 16 → 8 → 4
            layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(), nn.MaxPool2d(2)]
            in_ch = out_ch
        self.cnn = nn.Sequential(*layers, nn.Conv2d(in_ch, dim, 1))
        self.position = nn.Parameter(torch.zeros(grid * grid, dim))
        nn.init.normal_(self.position, std=0.02)
        self.grid = grid

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        maps = self.cnn(images)  # (B, dim, grid, grid)
        if maps.shape[-1] != self.grid:
            maps = F.adaptive_avg_pool2d(maps, self.grid)
        return maps.flatten(2).transpose(1, 2) + self.position  # (B, grid², dim)


class TextSequenceEncoder(nn.Module):
    """Word embeddings + bidirectional GRU: ``(B, T)`` ids → ``(B, T, dim)`` features (0 at padding)."""

    def __init__(self, vocab_size: int, dim: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.gru = nn.GRU(dim, dim // 2, batch_first=True, bidirectional=True)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out


def _mean_over_real_tokens(sequence: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(..., T, D)`` features and a ``(..., T)`` mask of real tokens (leading dimensions
    broadcast) → ``(..., D)``: each row's average over its real tokens, zeros for a row with none.
    The text encoders of :class:`DualEncoder`, ``clip.TextTransformer`` and
    ``cross_attention.CrossAttentionScorer`` summarise a caption with it."""
    real = mask.bool()
    total = torch.where(real.unsqueeze(-1), sequence, 0.0).sum(-2)
    return total / real.sum(-1, keepdim=True).clamp(min=1)


def projection_head(dim: int, embed_dim: int) -> nn.Sequential:
    """Linear projection into the shared space followed by LayerNorm."""
    return nn.Sequential(nn.Linear(dim, embed_dim), nn.LayerNorm(embed_dim))


class LogitScale(nn.Module):
    """The learnable inverse temperature, stored as a log and clamped at 100 as in CLIP."""

    def __init__(self, temperature: float = INITIAL_TEMPERATURE):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)))

    def forward(self) -> torch.Tensor:
        return self.log_scale.exp().clamp(max=MAX_LOGIT_SCALE)


class DualEncoder(nn.Module):
    """CLIP-style model: each modality is encoded, pooled, projected and L2-normalised on its
    own; the similarity of every image with every text is one matrix product."""

    def __init__(self, vocab_size: int, dim: int = 64, embed_dim: int = 64):
        super().__init__()
        self.image_encoder = ImageGridEncoder(dim)
        self.text_encoder = TextSequenceEncoder(vocab_size, dim)
        self.image_head = projection_head(dim, embed_dim)
        self.text_head = projection_head(dim, embed_dim)
        self.logit_scale = LogitScale()

    def embed_images(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_head(self.image_encoder(images).mean(1)), dim=-1)

    def embed_texts(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_head(_mean_over_real_tokens(self.text_encoder(ids, mask), mask)), dim=-1)

    def similarity(self, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cosine similarities ``(n_images, n_texts)`` of every image with every text."""
        return self.embed_images(images) @ self.embed_texts(ids, mask).T

    def forward(self, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, B)``: scaled cosine similarities of every image with every text."""
        return self.logit_scale() * self.similarity(images, ids, mask)
