"""The intermediate-fusion network of the aggressiveness exercises (reference version).

TF-IDF branch with 3 hidden layers, embedding branch with 2, fused sub-network with 2,
and an output layer returning logits; optional dropout after every hidden layer.
"""
from __future__ import annotations

import torch
from torch import nn

from .fusion_nets import mlp

TFIDF_HIDDEN = (256, 128, 64)
EMB_HIDDEN = (128, 64)
FUSED_HIDDEN = (64, 32)


class AggressionFusionNet(nn.Module):
    """TF-IDF (3 hidden) + embeddings (2 hidden) → concatenate → 2 hidden → logits."""

    def __init__(self, tfidf_dim: int, emb_dim: int, dropout: float = 0.0, n_classes: int = 2):
        super().__init__()
        self.tfidf_branch = mlp([tfidf_dim, *TFIDF_HIDDEN], dropout)
        self.emb_branch = mlp([emb_dim, *EMB_HIDDEN], dropout)
        self.fusion = mlp([TFIDF_HIDDEN[-1] + EMB_HIDDEN[-1], *FUSED_HIDDEN], dropout)
        self.output = nn.Linear(FUSED_HIDDEN[-1], n_classes)

    def forward(self, tfidf: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        fused = torch.cat([self.tfidf_branch(tfidf), self.emb_branch(emb)], dim=-1)
        return self.output(self.fusion(fused))
