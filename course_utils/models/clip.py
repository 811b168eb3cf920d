"""CLIP from parts: any image encoder with a ``features`` method, a small Transformer text
encoder, linear projections into one space, L2 normalisation and a learnable temperature;
plus the embeddings of class prompts (zero-shot classification is
notebook 06's exercise).

It trains with :func:`course_utils.training.train_contrastive` (symmetric InfoNCE, every
caption of a batch that says the same thing counting as a positive).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..trainer import predict
from .contrastive import LogitScale, _mean_over_real_tokens
from .layers import PreLNBlock, TokenEmbedding


class TextTransformer(nn.Module):
    """Token embeddings + learned positions → Pre-LN encoder blocks (padding keys masked)
    → LayerNorm → mean over the real tokens: ``(B, T)`` ids → ``(B, dim)``."""

    def __init__(
        self,
        vocab_size: int,
        max_len: int,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        mlp_ratio: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.tokens = TokenEmbedding(vocab_size, dim, max_len)
        self.blocks = nn.ModuleList(PreLNBlock(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.dim = dim

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.tokens(ids)
        for block in self.blocks:
            x = block(x, key_mask=mask)
        return _mean_over_real_tokens(self.norm(x), mask)


class CLIP(nn.Module):
    """Two encoders, each followed by a linear projection into a shared ``embed_dim`` space
    and L2 normalisation; ``forward`` gives the ``(B, B)`` logits ``scale · cos``."""

    def __init__(self, image_encoder: nn.Module, text_encoder: nn.Module, embed_dim: int = 64):
        super().__init__()
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.image_proj = nn.Linear(image_encoder.dim, embed_dim, bias=False)
        self.text_proj = nn.Linear(text_encoder.dim, embed_dim, bias=False)
        self.logit_scale = LogitScale()

    def embed_images(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_proj(self.image_encoder.features(images)), dim=-1)

    def embed_texts(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_proj(self.text_encoder(ids, mask)), dim=-1)

    def forward(self, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.logit_scale() * self.embed_images(images) @ self.embed_texts(ids, mask).T


def prompt_embeddings(model: CLIP, vocabulary, prompts: Sequence[Sequence[str]], max_len: int) -> torch.Tensor:
    """Embeddings ``(C, P, D)`` of ``prompts[c][p]`` (``P`` prompts for each of ``C`` classes)."""
    n_classes, n_prompts = len(prompts), len(prompts[0])
    ids, mask = vocabulary.encode([text for row in prompts for text in row], max_len=max_len)
    device = model.logit_scale.log_scale.device
    out = predict(
        model.embed_texts, torch.as_tensor(ids, device=device), torch.as_tensor(mask, device=device), batch_size=512
    )
    return out.reshape(n_classes, n_prompts, -1)
