"""The Transformer's building blocks, one implementation of each, shared by every model of the
course (the ViT, CLIP's text encoder, the Perceiver, the cross-attention versions of notebook 05):

* :func:`attend`: scaled dot-product attention, the only place where scores become weights;
* :class:`MultiHeadAttention`: projections, heads and output projection around it, for
  self-attention (``context=None``) and cross-attention (a ``context`` sequence), optionally with
  one key/value head shared by all query heads (multi-query attention);
* :class:`PreLN`: one Pre-LN residual sub-layer, ``x + sublayer(LayerNorm(x))``;
* :class:`PreLNBlock`: the Pre-LN Transformer block, an attention sub-layer and a feed-forward
  sub-layer (plain MLP or gated), both :class:`PreLN`;
* :class:`TokenEmbedding`: word ids → word embeddings plus learned positions (CLIP's text
  encoder, the caption decoder, the single-stream VQA model).

Each is tested against its outside reference with copied weights (``torch.nn.MultiheadAttention``,
Hugging Face's ``ViTLayer``) in ``tests/models/test_layers.py``. Notebooks 05 and 06 ask students
to write attention themselves; these are what the course's own models run on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn


def attend(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    key_mask: torch.Tensor | None = None,
    *,
    need_weights: bool = True,
    dropout: float = 0.0,
    causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scaled dot-product attention ``softmax(q kᵀ / √d) v``; masked keys get weight 0.

    ``query`` ``(..., Lq, d)``, ``key`` ``(..., Lk, d)``, ``value`` ``(..., Lk, dv)``,
    ``key_mask`` ``(..., Lk)`` True (or 1) at real keys; leading dimensions broadcast.
    Returns the output ``(..., Lq, dv)`` and the weights ``(..., Lq, Lk)``.

    With ``need_weights=False`` PyTorch's fused ``scaled_dot_product_attention`` computes the
    output without building the weight matrix (faster; the weights returned are ``None``);
    with ``need_weights=True`` the softmax is written out. Both paths give a query whose keys
    are **all** masked zero weights and a zero output (a plain softmax over ``-inf`` everywhere
    would give NaN). ``dropout`` is the probability of dropping a weight (pass 0 in eval mode).
    ``causal=True`` also hides from query ``i`` every key after it (the last ``Lq`` keys are
    aligned with the queries): a decoder's self-attention, which must not read the future.
    """
    allowed = None if key_mask is None else key_mask.bool().unsqueeze(-2)  # (..., 1, Lk)
    if causal:  # (Lq, Lk): True on and below the diagonal
        lq, lk = query.shape[-2], key.shape[-2]
        past = torch.ones(lq, lk, dtype=torch.bool, device=query.device).tril(lk - lq)
        allowed = past if allowed is None else allowed & past
    if not need_weights:
        return F.scaled_dot_product_attention(query, key, value, attn_mask=allowed, dropout_p=dropout), None
    scores = (query * query.shape[-1] ** -0.5) @ key.transpose(-2, -1)
    if allowed is None:
        weights = scores.softmax(dim=-1)
    else:  # the second fill turns a row without any real key (NaN after the softmax) into zeros
        weights = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1).masked_fill(~allowed, 0.0)
    return F.dropout(weights, dropout) @ value if dropout else weights @ value, weights


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``(..., L, H·d)`` → ``(..., H, L, d)``."""
    return x.unflatten(-1, (heads, -1)).transpose(-3, -2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``(..., H, L, d)`` → ``(..., L, H·d)``."""
    return x.transpose(-3, -2).flatten(-2)


class MultiHeadAttention(nn.Module):
    """Multi-head attention of ``query`` over ``context`` (over itself when ``context`` is None):
    one linear layer ``in_proj`` produces Q, K and V (in that order, as in
    ``torch.nn.MultiheadAttention``'s ``in_proj_weight``), they are split into ``heads`` heads,
    :func:`attend` runs in each head, the heads are merged and ``out_proj`` mixes them.

    ``shared_kv=True``: one key head and one value head serve every query head (multi-query
    attention, Shazeer 2019); ``in_proj`` then produces ``dim + 2·dim/heads`` features.

    The fused kernel runs unless ``keep_weights`` is True; then the softmax is written out and the
    weights of every head are kept, detached, in ``last_weights`` ``(..., heads, Lq, Lk)``.
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, *, shared_kv: bool = False):
        super().__init__()
        if dim % heads:
            raise ValueError(
                f"dim {dim} no es divisible entre heads {heads}: cada cabeza necesita dim // heads dimensiones"
            )
        self.dim, self.heads, self.head_dim, self.shared_kv = dim, heads, dim // heads, shared_kv
        self.kv_dim = self.head_dim if shared_kv else dim
        self.in_proj = nn.Linear(dim, dim + 2 * self.kv_dim)
        self.out_proj = nn.Linear(dim, dim)
        self.dropout = dropout
        self.keep_weights = False
        self.last_weights: torch.Tensor | None = None

    def _kv_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(-3) if self.shared_kv else _split_heads(x, self.heads)

    def forward(
        self,
        query: torch.Tensor,
        context: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        *,
        causal: bool = False,
    ) -> torch.Tensor:
        """``query`` ``(..., Lq, dim)``, ``context`` ``(..., Lk, dim)`` (default: ``query``),
        ``key_mask`` ``(..., Lk)`` True/1 at real context positions → ``(..., Lq, dim)``;
        ``causal``: position ``i`` attends to positions ``≤ i`` only (see :func:`attend`)."""
        if context is None:
            q, k, v = self.in_proj(query).split([self.dim, self.kv_dim, self.kv_dim], dim=-1)
        else:  # the same weights, the query rows applied to the query and the rest to the context
            w, b = self.in_proj.weight, self.in_proj.bias
            q = F.linear(query, w[: self.dim], b[: self.dim])
            k, v = F.linear(context, w[self.dim :], b[self.dim :]).split(self.kv_dim, dim=-1)
        out, weights = attend(
            _split_heads(q, self.heads),
            self._kv_heads(k),
            self._kv_heads(v),
            None if key_mask is None else key_mask.unsqueeze(-2),  # the same mask for every head
            need_weights=self.keep_weights,
            dropout=self.dropout if self.training else 0.0,
            causal=causal,
        )
        self.last_weights = None if weights is None else weights.detach()
        return self.out_proj(_merge_heads(out))

    @torch.no_grad()
    def load_from_torch(self, reference: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention`` of the same size."""
        if self.shared_kv:
            raise ValueError("nn.MultiheadAttention has no multi-query layout")
        self.in_proj.weight.copy_(reference.in_proj_weight)
        self.in_proj.bias.copy_(reference.in_proj_bias)
        self.out_proj.weight.copy_(reference.out_proj.weight)
        self.out_proj.bias.copy_(reference.out_proj.bias)
        return self


@contextmanager
def keeping_weights(*attentions: MultiHeadAttention) -> Iterator[None]:
    """Inside the block, each of ``attentions`` writes its softmax out and keeps its weights in
    ``last_weights`` (to draw them); afterwards each is back to what it did before."""
    before = [attention.keep_weights for attention in attentions]
    for attention in attentions:
        attention.keep_weights = True
    try:
        yield
    finally:
        for attention, keep in zip(attentions, before):
            attention.keep_weights = keep


def feed_forward(dim: int, hidden: int, dropout: float = 0.0) -> nn.Sequential:
    """The Transformer's MLP: ``Linear → GELU → Dropout → Linear → Dropout``."""
    return nn.Sequential(
        nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim), nn.Dropout(dropout)
    )


class GatedFeedForward(nn.Module):
    """``out(GELU(gate(x)) * value(x))`` with dropout: the gated FFN (GEGLU) of modern Transformers."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.gate, self.value = nn.Linear(dim, hidden), nn.Linear(dim, hidden)
        self.out, self.dropout = nn.Linear(hidden, dim), nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.out(F.gelu(self.gate(x)) * self.value(x)))


class PreLN(nn.Module):
    """One Pre-LN residual sub-layer: ``x + sublayer(LayerNorm(x), *args)``.

    Normalising *before* the sub-layer leaves the residual path an identity, which is why
    Pre-LN Transformers train with a short warm-up (Xiong et al., 2020). Extra arguments (a
    context, a mask) go to the sub-layer untouched.
    """

    def __init__(self, dim: int, sublayer: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.sublayer = sublayer

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return x + self.sublayer(self.norm(x), *args, **kwargs)


class PreLNBlock(nn.Module):
    """Pre-LN Transformer block: ``x ← x + Attention(LN(x), context)`` then ``x ← x + FFN(LN(x))``.

    ``attention`` and ``feed_forward`` are :class:`PreLN` sub-layers; the attention is
    :class:`MultiHeadAttention` (self-attention without a ``context``), the feed-forward the MLP
    of :func:`feed_forward` (hidden size ``mlp_ratio·dim``) or, with ``gated=True``,
    :class:`GatedFeedForward`.
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        mlp_ratio: int = 2,
        dropout: float = 0.0,
        *,
        gated: bool = False,
        shared_kv: bool = False,
    ):
        super().__init__()
        ffn = GatedFeedForward if gated else feed_forward
        self.attention = PreLN(dim, MultiHeadAttention(dim, heads, dropout, shared_kv=shared_kv))
        self.feed_forward = PreLN(dim, ffn(dim, mlp_ratio * dim, dropout))

    def forward(
        self, x: torch.Tensor, context: torch.Tensor | None = None, key_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``x`` ``(..., L, dim)``; ``key_mask`` ``(..., Lk)`` marks the real keys (of ``context``,
        or of ``x`` itself without one) → ``(..., L, dim)``."""
        return self.feed_forward(self.attention(x, context, key_mask))


class TokenEmbedding(nn.Module):
    """Word ids ``(B, T)`` → ``(B, T, dim)``: each word's embedding plus the learned embedding of
    its position (GPT, CLIP's text encoder). Id 0 is padding: its embedding is zero and learns
    nothing. At most ``max_len`` positions; a longer input is refused in Spanish."""

    def __init__(self, vocab_size: int, dim: int, max_len: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.positions = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        length, most = ids.shape[1], self.positions.shape[1]
        if length > most:
            raise ValueError(f"secuencias de {length} posiciones; este modelo admite como máximo {most}")
        return self.embedding(ids) + self.positions[:, :length]
