"""Cross-modal attention versions of increasing complexity (the ablation of notebook 05), and
the image–text matcher that scores a pair through one of them.

Every version maps ``(image, text, text_mask)`` to ``(image_out, text_out)``:

* ``image`` ``(..., P, D)``: a sequence of patch features; ``text`` ``(..., T, D)``: a sequence of
  word features; ``text_mask`` ``(..., T)``: True at real words (False at padding);
* ``image_out`` ``(..., P, D)``: each patch after looking at the words (image→text attention),
  ``text_out`` ``(..., T, D)``: each word after looking at the patches (text→image attention).

Leading dimensions broadcast, so ``image[:, None]`` with ``text[None]`` scores every image
with every text in one call. Each version stores its last attention weights in
``last_attention`` (``"imagen→texto"``, ``"texto→imagen"``) for plotting.

Ladder (the seed's v-numbers differ; the notebook maps them): v0 plain scaled dot-product
both ways · v1 one shared attention matrix (transposed) · v2 +LayerNorm on inputs · v3 +residual ·
v4 +independent Q/K/V projections · v5 multi-head, projections shared by both directions ·
v6 multi-head, independent per direction, Post-LN · v7 Pre-LN + gated FFN + dropout ·
v8 multi-query · v9 hierarchical (two levels, learned mix) · v10 multi-query + hierarchical.
"""
from __future__ import annotations

import math
import torch
import torch.nn.functional as F
from torch import nn

from ..batching import masked_mean
from .contrastive import LogitScale, projection_head

NEG_INF = float("-inf")


def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
           key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention: ``softmax(q kᵀ / √d) v``; padded keys get weight 0.

    ``query`` ``(..., Lq, d)``, ``key``/``value`` ``(..., Lk, d)``, ``key_mask`` ``(..., Lk)``.
    Returns the output ``(..., Lq, d)`` and the weights ``(..., Lq, Lk)``.
    """
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if key_mask is not None:
        scores = scores.masked_fill(~key_mask.unsqueeze(-2), NEG_INF)
    weights = scores.softmax(dim=-1)
    return weights @ value, weights


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``(..., L, H·d)`` → ``(..., H, L, d)``."""
    return x.unflatten(-1, (heads, -1)).transpose(-3, -2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``(..., H, L, d)`` → ``(..., L, H·d)``."""
    return x.transpose(-3, -2).flatten(-2)


def _head_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    return None if mask is None else mask.unsqueeze(-2)   # broadcast over the head axis


class CrossAttention(nn.Module):
    """Base class: subclasses implement ``forward(image, text, text_mask)``."""

    adds = ""

    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.dim, self.heads, self.dropout_p = dim, heads, dropout
        self.last_attention: dict[str, torch.Tensor] = {}

    def _keep(self, i2t: torch.Tensor, t2i: torch.Tensor) -> None:
        self.last_attention = {"imagen→texto": i2t.detach(), "texto→imagen": t2i.detach()}


# --- single head, no projections --------------------------------------------------------------
class V0Plain(CrossAttention):
    """v0: plain scaled dot-product attention in both directions, no parameters."""

    adds = "atención producto escalar en ambas direcciones, sin parámetros"

    def forward(self, image, text, text_mask):
        image_out, w_i2t = attend(image, text, text, text_mask)
        text_out, w_t2i = attend(text, image, image)
        self._keep(w_i2t, w_t2i)
        return image_out, text_out


class V1Shared(CrossAttention):
    """v1: one attention matrix, normalised over the words, reused transposed for text→image."""

    adds = "una sola matriz de atención, reutilizada traspuesta para texto→imagen"

    def coattend(self, image, text, text_mask):
        scores = image @ text.transpose(-2, -1) / math.sqrt(image.shape[-1])       # (..., P, T)
        weights = scores.masked_fill(~text_mask.unsqueeze(-2), NEG_INF).softmax(-1)
        # As in the seed: the transpose is NOT renormalised, so a word's weights over the
        # patches do not sum to 1 (v0 normalises each direction on its own).
        self._keep(weights, weights.transpose(-2, -1))
        return weights @ text, weights.transpose(-2, -1) @ image

    def forward(self, image, text, text_mask):
        return self.coattend(image, text, text_mask)


class V2LayerNorm(V1Shared):
    """v2: v1 + LayerNorm on each modality's inputs."""

    adds = "LayerNorm en las entradas de cada modalidad"

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        self.image_norm, self.text_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, image, text, text_mask):
        return self.coattend(self.image_norm(image), self.text_norm(text), text_mask)


class V3Residual(V2LayerNorm):
    """v3: v2 + residual connection (each modality keeps its own features)."""

    adds = "conexión residual"

    def forward(self, image, text, text_mask):
        image_att, text_att = super().forward(image, text, text_mask)
        return image + image_att, text + text_att


class V4Projections(V2LayerNorm):
    """v4: v3 + independent Q/K/V/output projections per direction (single head)."""

    adds = "proyecciones Q, K, V y de salida propias de cada dirección"

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        self.i2t = nn.ModuleDict({n: nn.Linear(dim, dim) for n in ("q", "k", "v", "out")})
        self.t2i = nn.ModuleDict({n: nn.Linear(dim, dim) for n in ("q", "k", "v", "out")})

    def forward(self, image, text, text_mask):
        img, txt = self.image_norm(image), self.text_norm(text)
        image_att, w_i2t = attend(self.i2t["q"](img), self.i2t["k"](txt), self.i2t["v"](txt), text_mask)
        text_att, w_t2i = attend(self.t2i["q"](txt), self.t2i["k"](img), self.t2i["v"](img))
        self._keep(w_i2t, w_t2i)
        return image + self.i2t["out"](image_att), text + self.t2i["out"](text_att)


# --- multi-head ----------------------------------------------------------------------------------
class MultiHeadCross(nn.Module):
    """Multi-head attention of ``query`` over ``context`` with its own Q/K/V/output projections.

    With ``shared_kv=True`` all heads share one key and one value head (multi-query attention).
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, shared_kv: bool = False):
        super().__init__()
        self.heads, self.shared_kv = heads, shared_kv
        kv_dim = dim // heads if shared_kv else dim
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, kv_dim), nn.Linear(dim, kv_dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, context, context_mask=None):
        q = _split_heads(self.q(query), self.heads)                    # (..., H, Lq, d)
        if self.shared_kv:
            k, v = self.k(context).unsqueeze(-3), self.v(context).unsqueeze(-3)   # (..., 1, Lk, d)
        else:
            k, v = _split_heads(self.k(context), self.heads), _split_heads(self.v(context), self.heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if context_mask is not None:
            scores = scores.masked_fill(~_head_mask(context_mask).unsqueeze(-2), NEG_INF)
        weights = self.dropout(scores.softmax(-1))
        return self.out(_merge_heads(weights @ v)), weights.mean(-3)   # weights averaged over heads


class V5MultiHeadShared(V2LayerNorm):
    """v5: multi-head attention whose Q/K/V projections are shared by both directions."""

    adds = "multi-cabeza con las mismas proyecciones para las dos direcciones"

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        self.attention = MultiHeadCross(dim, self.heads)

    def forward(self, image, text, text_mask):
        img, txt = self.image_norm(image), self.text_norm(text)
        image_att, w_i2t = self.attention(img, txt, text_mask)
        text_att, w_t2i = self.attention(txt, img)
        self._keep(w_i2t, w_t2i)
        return image + image_att, text + text_att


class V6MultiHeadIndependent(V2LayerNorm):
    """v6: multi-head attention with independent Q/K/V per direction, Post-LN on the outputs."""

    adds = "multi-cabeza independiente por dirección + LayerNorm a la salida (Post-LN)"

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        self.i2t, self.t2i = MultiHeadCross(dim, self.heads), MultiHeadCross(dim, self.heads)
        self.image_out_norm, self.text_out_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, image, text, text_mask):
        img, txt = self.image_norm(image), self.text_norm(text)
        image_att, w_i2t = self.i2t(img, txt, text_mask)
        text_att, w_t2i = self.t2i(txt, img)
        self._keep(w_i2t, w_t2i)
        return self.image_out_norm(image + image_att), self.text_out_norm(text + text_att)


class GatedFeedForward(nn.Module):
    """``out(GELU(gate(x)) * value(x))`` with dropout: the gated FFN of modern Transformers."""

    def __init__(self, dim: int, hidden: int, dropout: float):
        super().__init__()
        self.gate, self.value = nn.Linear(dim, hidden), nn.Linear(dim, hidden)
        self.out, self.dropout = nn.Linear(hidden, dim), nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.out(F.gelu(self.gate(x)) * self.value(x)))


class PreLNBlock(nn.Module):
    """One direction of a Pre-LN cross-attention block: x + Attn(LN(x), LN(y)), then x + FFN(LN(x))."""

    def __init__(self, dim: int, heads: int, dropout: float, shared_kv: bool = False, ffn_factor: int = 2):
        super().__init__()
        self.query_norm, self.context_norm, self.ffn_norm = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = MultiHeadCross(dim, heads, dropout, shared_kv)
        self.ffn = GatedFeedForward(dim, ffn_factor * dim, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, context, context_mask=None):
        attended, weights = self.attention(self.query_norm(x), self.context_norm(context), context_mask)
        x = x + self.dropout(attended)
        return x + self.ffn(self.ffn_norm(x)), weights


class V7PreLNGatedFFN(CrossAttention):
    """v7: Pre-LN blocks (independent per direction) with a gated FFN and dropout."""

    adds = "Pre-LN + FFN con puerta + dropout"
    shared_kv = False

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        self.i2t = PreLNBlock(dim, self.heads, self.dropout_p, self.shared_kv)
        self.t2i = PreLNBlock(dim, self.heads, self.dropout_p, self.shared_kv)

    def forward(self, image, text, text_mask):
        image_out, w_i2t = self.i2t(image, text, text_mask)
        text_out, w_t2i = self.t2i(text, image)
        self._keep(w_i2t, w_t2i)
        return image_out, text_out


class V8MultiQuery(V7PreLNGatedFFN):
    """v8: v7 with multi-query attention (one key/value head shared by all query heads)."""

    adds = "atención multi-consulta (K y V compartidas por las cabezas)"
    shared_kv = True


class V9Hierarchical(CrossAttention):
    """v9: two stacked levels of v7 blocks; the output mixes the levels with learned weights."""

    adds = "fusión jerárquica: dos niveles apilados y mezcla aprendida de sus salidas"
    shared_kv = False
    levels = 2

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        make = lambda: PreLNBlock(dim, self.heads, self.dropout_p, self.shared_kv)  # noqa: E731
        self.i2t = nn.ModuleList(make() for _ in range(self.levels))
        self.t2i = nn.ModuleList(make() for _ in range(self.levels))
        self.level_logits = nn.Parameter(torch.zeros(self.levels + 1))   # input + each level

    def forward(self, image, text, text_mask):
        image_levels, text_levels = [image], [text]
        for i2t, t2i in zip(self.i2t, self.t2i):
            img, txt = image_levels[-1], text_levels[-1]
            new_img, w_i2t = i2t(img, txt, text_mask)
            new_txt, w_t2i = t2i(txt, img)
            image_levels.append(new_img)
            text_levels.append(new_txt)
        self._keep(w_i2t, w_t2i)
        mix = self.level_logits.softmax(0)
        image_out = sum(w * x for w, x in zip(mix, image_levels))
        text_out = sum(w * x for w, x in zip(mix, text_levels))
        return image_out, text_out


class V10MultiQueryHierarchical(V9Hierarchical):
    """v10: the combination — hierarchical fusion built from multi-query blocks."""

    adds = "combinación: jerárquica con bloques multi-consulta"
    shared_kv = True


VERSIONS: dict[str, type[CrossAttention]] = {
    "v0": V0Plain, "v1": V1Shared, "v2": V2LayerNorm, "v3": V3Residual, "v4": V4Projections,
    "v5": V5MultiHeadShared, "v6": V6MultiHeadIndependent, "v7": V7PreLNGatedFFN,
    "v8": V8MultiQuery, "v9": V9Hierarchical, "v10": V10MultiQueryHierarchical,
}

# The seed's name for each mechanism, so the notebook can compare with its table.
SEED_NAMES = {"v0": "v0", "v1": "v1", "v2": "v2", "v3": "v3", "v4": "v4", "v5": "v7", "v6": "v8",
              "v7": "v9", "v8": "v10_4", "v9": "v10_5", "v10": "v11"}


def get_cross_attention(version: str, dim: int, **kwargs) -> CrossAttention:
    """A fresh instance of cross-attention ``version`` ("v0" … "v10")."""
    try:
        cls = VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown cross-attention version {version!r}; choose from {', '.join(VERSIONS)}") from None
    return cls(dim, **kwargs)


class CrossAttentionScorer(nn.Module):
    """Scores image–text pairs through a cross-attention version.

    Input: patch sequences ``(..., P, D)``, word sequences ``(..., T, D)`` and their mask; the
    leading dimensions broadcast (``patches[:, None]`` with ``words[None]`` scores all pairs).
    The score of a pair is the cosine between the pooled, projected ``image_out`` and
    ``text_out`` computed **for that pair**: attention runs over the 16 patches and the words
    of the caption, never over a sequence of length one.
    """

    def __init__(self, attention: CrossAttention, dim: int = 64, embed_dim: int = 64):
        super().__init__()
        self.attention = attention
        self.image_head = projection_head(dim, embed_dim)
        self.text_head = projection_head(dim, embed_dim)
        self.logit_scale = LogitScale()

    def forward(self, patches: torch.Tensor, words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of each (broadcast) pair, shape = the broadcast leading dimensions."""
        image_out, text_out = self.attention(patches, words, mask)
        image_vec = F.normalize(self.image_head(image_out.mean(-2)), dim=-1)
        text_vec = F.normalize(self.text_head(masked_mean(text_out, mask)), dim=-1)
        return (image_vec * text_vec).sum(-1)


def build_scorer(version: str, dim: int = 64, **kwargs) -> CrossAttentionScorer:
    """A cross-attention scorer with a fresh instance of ``version``."""
    return CrossAttentionScorer(get_cross_attention(version, dim, **kwargs), dim)
