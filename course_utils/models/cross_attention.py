"""Cross-modal attention versions of increasing complexity (the ablation of notebook 05), and
the image–text matcher that scores a pair through one of them.

Every version maps ``(image, text, text_mask)`` to ``(image_out, text_out)``:

* ``image`` ``(..., P, D)``: a sequence of patch features; ``text`` ``(..., T, D)``: a sequence of
  word features; ``text_mask`` ``(..., T)``: True at real words (False at padding);
* ``image_out`` ``(..., P, D)``: each patch after looking at the words (image→text attention),
  ``text_out`` ``(..., T, D)``: each word after looking at the patches (text→image attention).

Leading dimensions broadcast, so ``image[:, None]`` with ``text[None]`` scores every image
with every text in one call. In eval mode each version stores its last attention weights in
``last_attention`` (``"imagen→texto"``, ``"texto→imagen"``) for plotting; in training the fused
kernel runs and builds no weight matrix (the versions with one shared matrix keep it always).
Every version is built from :mod:`course_utils.models.layers` (the attention kernel
:func:`attend`, :class:`MultiHeadAttention`, the :class:`PreLN` sub-layer).

A version is a :class:`Mechanisms` record (which mechanisms are on) and a **parent**: every
version switches on exactly one mechanism of its parent (tests check it), so comparing a
version with its parent measures one mechanism. :data:`SEED_NAMES` maps each version to the
seed's name for it (``None`` for the intermediate steps the seed folded into a compound
version) and :data:`SEED_LEFT_OUT` says why the seed's other versions are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from .contrastive import LogitScale, _mean_over_real_tokens, projection_head
from .layers import GatedFeedForward, MultiHeadAttention, PreLN, attend


class CrossAttention(nn.Module):
    """Base class: subclasses implement ``forward(image, text, text_mask)``."""

    adds = ""

    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.dim, self.heads, self.dropout_p = dim, heads, dropout
        self.last_attention: dict[str, torch.Tensor] = {}

    def _keep(self, i2t: torch.Tensor | None, t2i: torch.Tensor | None) -> None:
        if i2t is not None and t2i is not None:
            self.last_attention = {"imagen→texto": i2t.detach(), "texto→imagen": t2i.detach()}


@dataclass(frozen=True)
class Mechanisms:
    """Which mechanisms a version switches on (the defaults are v0: plain attention both ways)."""

    shared_matrix: bool = False  # one image×text matrix, reused transposed for text→image
    input_norm: bool = False  # LayerNorm on each modality's inputs
    residual: bool = False  # output = input + attended
    projections: bool = False  # learned Q/K/V/output projections, one set per direction
    multi_head: bool = False  # 4 heads instead of 1
    shared_projections: bool = False  # both directions use the same projections
    post_norm: bool = False  # LayerNorm after the residual (Post-LN)
    ffn: bool = False  # gated FFN after attention (Pre-LN, with its own residual)
    dropout: bool = False  # dropout on attention weights and in the FFN
    multi_query: bool = False  # one key/value head shared by all query heads
    hierarchical: bool = False  # two stacked levels, outputs mixed with learned weights


class FusionLevel(nn.Module):
    """One level of cross-attention in both directions, with the mechanisms of ``m``, built from
    :mod:`course_utils.models.layers`: the kernel :func:`attend` (no projections), a
    :class:`MultiHeadAttention` per direction (projections) and a :class:`PreLN` gated FFN.

    Attention weights are computed (and returned) only in eval mode; in training the fused
    kernel runs and the weights returned are None."""

    def __init__(self, dim: int, m: Mechanisms, heads: int, dropout: float):
        super().__init__()
        self.m = m
        p = dropout if m.dropout else 0.0
        if m.input_norm:
            self.image_norm, self.text_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        if m.projections:
            n_heads = heads if m.multi_head else 1
            self.i2t = MultiHeadAttention(dim, n_heads, p, shared_kv=m.multi_query)
            self.t2i = (
                self.i2t if m.shared_projections else MultiHeadAttention(dim, n_heads, p, shared_kv=m.multi_query)
            )
        if m.post_norm:
            self.image_out_norm, self.text_out_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        if m.ffn:
            self.image_ffn = PreLN(dim, GatedFeedForward(dim, 2 * dim, p))
            self.text_ffn = PreLN(dim, GatedFeedForward(dim, 2 * dim, p))

    def train(self, mode: bool = True) -> FusionLevel:
        super().train(mode)
        for module in self.modules():
            if isinstance(module, MultiHeadAttention):
                module.keep_weights = not mode  # the weights, for plots, in eval mode only
        return self

    def _project_and_attend(self, attention, query, context, mask):
        out = attention(query, context, mask)
        return out, None if attention.last_weights is None else attention.last_weights.mean(-3)  # mean of the heads

    def _attend_both(self, img, txt, text_mask):
        if self.m.shared_matrix:
            image_att, weights = attend(img, txt, txt, text_mask)  # (..., P, T)
            # As in the seed: the transpose is NOT renormalised, so a word's weights over the
            # patches do not sum to 1 (v0 normalises each direction on its own).
            return image_att, weights.transpose(-2, -1) @ img, weights, weights.transpose(-2, -1)
        if self.m.projections:
            image_att, w_i2t = self._project_and_attend(self.i2t, img, txt, text_mask)
            text_att, w_t2i = self._project_and_attend(self.t2i, txt, img, None)
        else:
            image_att, w_i2t = attend(img, txt, txt, text_mask, need_weights=not self.training)
            text_att, w_t2i = attend(txt, img, img, need_weights=not self.training)
        return image_att, text_att, w_i2t, w_t2i

    def forward(self, image, text, text_mask):
        m = self.m
        img, txt = (self.image_norm(image), self.text_norm(text)) if m.input_norm else (image, text)
        image_out, text_out, w_i2t, w_t2i = self._attend_both(img, txt, text_mask)
        if m.residual:
            image_out, text_out = image + image_out, text + text_out
        if m.post_norm:
            image_out, text_out = self.image_out_norm(image_out), self.text_out_norm(text_out)
        if m.ffn:
            image_out, text_out = self.image_ffn(image_out), self.text_ffn(text_out)
        return image_out, text_out, w_i2t, w_t2i


class LadderAttention(CrossAttention):
    """A version of the ladder: one :class:`FusionLevel`, or two stacked with a learned mix."""

    mechanisms = Mechanisms()

    def __init__(self, dim: int, **kwargs):
        super().__init__(dim, **kwargs)
        n_levels = 2 if self.mechanisms.hierarchical else 1
        self.levels = nn.ModuleList(
            FusionLevel(dim, self.mechanisms, self.heads, self.dropout_p) for _ in range(n_levels)
        )
        if n_levels > 1:
            self.level_logits = nn.Parameter(torch.zeros(n_levels + 1))  # input + each level

    def forward(self, image, text, text_mask):
        image_levels, text_levels = [image], [text]
        for level in self.levels:
            new_img, new_txt, w_i2t, w_t2i = level(image_levels[-1], text_levels[-1], text_mask)
            image_levels.append(new_img)
            text_levels.append(new_txt)
        self._keep(w_i2t, w_t2i)
        if len(self.levels) == 1:
            return image_levels[-1], text_levels[-1]
        mix = self.level_logits.softmax(0)
        return sum(w * x for w, x in zip(mix, image_levels)), sum(w * x for w, x in zip(mix, text_levels))


# --- the ladder: (name, parent, mechanism switched on, seed's name, Spanish description) ----------
_LADDER = (
    ("v0", None, None, "v0", "atención producto escalar en ambas direcciones, sin parámetros"),
    ("v1", "v0", "shared_matrix", "v1", "una sola matriz de atención, reutilizada traspuesta para texto→imagen"),
    ("v2", "v1", "input_norm", "v2", "LayerNorm en las entradas de cada modalidad"),
    ("v3", "v2", "residual", "v3", "conexión residual"),
    ("v3b", "v3", "-shared_matrix", None, "una softmax propia para cada dirección (deshace la matriz compartida)"),
    ("v4", "v3b", "projections", "v4", "proyecciones Q, K, V y de salida propias de cada dirección"),
    ("v4b", "v4", "multi_head", None, "4 cabezas en lugar de 1"),
    ("v5", "v4b", "shared_projections", "v7", "las dos direcciones comparten las proyecciones"),
    ("v6", "v4b", "post_norm", "v8", "LayerNorm tras la residual (Post-LN)"),
    ("v7a", "v4b", "ffn", None, "FFN con puerta tras la atención (Pre-LN, con su residual)"),
    ("v7", "v7a", "dropout", "v9", "dropout en los pesos de atención y en la FFN"),
    ("v8", "v7", "multi_query", "v10_4", "atención multi-consulta (K y V compartidas por las cabezas)"),
    ("v9", "v7", "hierarchical", "v10_5", "fusión jerárquica: dos niveles apilados y mezcla aprendida"),
    ("v10", "v9", "multi_query", "v11", "multi-consulta dentro de la jerárquica (la combinación final)"),
)


def _build_ladder() -> tuple[dict[str, type[LadderAttention]], dict[str, str | None], dict[str, str]]:
    versions: dict[str, type[LadderAttention]] = {}
    parents: dict[str, str | None] = {}
    changes: dict[str, str] = {}
    for name, parent, change, _, adds in _LADDER:
        mechanisms = Mechanisms() if parent is None else versions[parent].mechanisms
        if change is not None:
            field_name = change.lstrip("-")
            mechanisms = replace(mechanisms, **{field_name: not change.startswith("-")})
        doc = f"{name}: {adds} (parent {parent})."
        versions[name] = type(
            f"CrossAttention_{name}",
            (LadderAttention,),
            {"mechanisms": mechanisms, "adds": adds, "__doc__": doc, "__module__": __name__},
        )
        parents[name], changes[name] = parent, change or ""
    return versions, parents, changes


VERSIONS, PARENTS, CHANGES = _build_ladder()
"""``VERSIONS[name]``: the class; ``PARENTS[name]``: the version it extends (one mechanism more);
``CHANGES[name]``: the :class:`Mechanisms` field switched (``-field``: switched off)."""

# The seed's name for each version (None: a step the seed folded into a compound version).
SEED_NAMES: dict[str, str | None] = {name: seed for name, _, _, seed, _ in _LADDER}

# The seed's versions this ladder does not reproduce, and why (shown in notebook 05). Keys are the
# seed's names, which clash with the course's from v5 on (the notebook shows them as material·vN).
SEED_LEFT_OUT = {
    "v5": "el material solo muestra su fila de la tabla (similitudes idénticas: colapsada); no describe qué añade",
    "v6": "no aparece ni en la tabla de resultados ni en el texto: no hay nada que reproducir",
    "v10_1": "«Q/K/V especializadas por modalidad» sobre material·v9: aquí cada dirección ya tiene sus propias "
    "proyecciones desde la v4 del curso, que es lo mismo en atención cruzada (la consulta es de una "
    "modalidad y la clave/valor de la otra)",
    "v10_2": "solo su fila de la tabla (similitudes idénticas: colapsada); el texto no dice qué añade",
    "v10_3": "solo su fila de la tabla; el texto no dice qué añade",
    "v10_6": "«proyección aparte para el aprendizaje contrastivo»: aquí todas las versiones la tienen "
    "(la cabeza de proyección del puntuador), así que no es un paso de la escalera",
}


def get_cross_attention(version: str, dim: int, **kwargs) -> CrossAttention:
    """A fresh instance of cross-attention ``version`` (a key of :data:`VERSIONS`)."""
    try:
        cls = VERSIONS[version]
    except KeyError:
        raise ValueError(
            f"versión de atención cruzada desconocida {version!r}; elija entre {', '.join(VERSIONS)}"
        ) from None
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
        text_vec = F.normalize(self.text_head(_mean_over_real_tokens(text_out, mask)), dim=-1)
        return (image_vec * text_vec).sum(-1)


def build_scorer(version: str, dim: int = 64, **kwargs) -> CrossAttentionScorer:
    """A cross-attention scorer with a fresh instance of ``version``."""
    return CrossAttentionScorer(get_cross_attention(version, dim, **kwargs), dim)
