"""An encoder–decoder captioner built from the course's blocks (chapter 07).

* the **encoder** is chapter 06's :class:`~course_utils.models.vit.ViT` (a hybrid one, with a
  convolutional stem, for 32×32 scenes: :func:`~course_utils.models.vit.hybrid_vit`), read
  through :meth:`ViT.tokens`: every patch's vector is kept, because the decoder looks at the
  image *where* each word needs it;
* the **decoder** is a stack of :class:`DecoderBlock`: causal self-attention over the words
  written so far, cross-attention from those words to the image's vectors, and a feed-forward
  layer, each a Pre-LN sub-layer (:class:`~course_utils.models.layers.PreLN` around
  :class:`~course_utils.models.layers.MultiHeadAttention`) — the Transformer decoder of Vaswani
  et al. (2017) with Pre-LN, as in BLIP's text decoder (Li et al., 2022).

Training is teacher forcing (the decoder reads the reference words shifted one place and
predicts each next word, :func:`caption_loss`); :meth:`Captioner.beam_search` decodes with a
beam and length normalisation (width 1 is greedy decoding). Chapter 07 asks students to write
the causal mask, the shifted targets and the greedy loop themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..datasets.captions import Vocabulary, tokenize
from ..trainer import History
from ..training import _train_on_image_caption_batches

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..training import ImageCaptionRecipe
from .layers import MultiHeadAttention, PreLN, TokenEmbedding, feed_forward, keeping_weights
from .vit import hybrid_vit

SPECIAL = ("<pad>", "<unk>", "<bos>", "<eos>")


def caption_vocabulary(captions: list[str]) -> Vocabulary:
    """Vocabulary of ``captions`` with the decoder's tokens: ``<pad>`` 0, ``<unk>`` 1, ``<bos>`` 2, ``<eos>`` 3."""
    words = sorted({w for c in captions for w in tokenize(c)} - set(SPECIAL))
    return Vocabulary([*SPECIAL, *words])


class DecoderBlock(nn.Module):
    """``x ← x + SelfAttn_causal(LN(x))``; ``x ← x + CrossAttn(LN(x), image)``; ``x ← x + FFN(LN(x))``."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 2, dropout: float = 0.0):
        super().__init__()
        self.self_attention = PreLN(dim, MultiHeadAttention(dim, heads, dropout))
        self.cross_attention = PreLN(dim, MultiHeadAttention(dim, heads, dropout))
        self.feed_forward = PreLN(dim, feed_forward(dim, mlp_ratio * dim, dropout))

    def forward(self, x: torch.Tensor, memory: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.self_attention(x, None, key_mask, causal=True)
        x = self.cross_attention(x, memory)
        return self.feed_forward(x)


class Captioner(nn.Module):
    """Image encoder (hybrid ViT, every output vector kept) + Transformer decoder.

    ``encode(images)`` → memory ``(B, N+1, dim)``; ``decode(memory, prefix)`` → next-word logits
    ``(B, T, V)`` for every position of ``prefix`` ``(B, T)`` (position ``t`` sees words ``≤ t``);
    ``forward(images, inputs)`` is both (teacher forcing)."""

    def __init__(
        self,
        vocab_size: int,
        max_len: int = 16,
        dim: int = 64,
        encoder_depth: int = 2,
        decoder_depth: int = 2,
        heads: int = 4,
        stem_width: int = 32,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.encoder = hybrid_vit(stem_width=stem_width, dim=dim, depth=encoder_depth, heads=heads, num_classes=1)
        self.encoder.head = nn.Identity()  # the encoder's summary is not used: the decoder reads every vector
        self.tokens = TokenEmbedding(vocab_size, dim, max_len)
        self.blocks = nn.ModuleList(DecoderBlock(dim, heads, dropout=dropout) for _ in range(decoder_depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)
        self.max_len = max_len

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder.tokens(images)

    def decode(self, memory: torch.Tensor, prefix: torch.Tensor) -> torch.Tensor:
        x = self.tokens(prefix)
        real = prefix != 0
        for block in self.blocks:
            x = block(x, memory, real)
        return self.head(self.norm(x))

    def forward(self, images: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images), inputs)

    def beam_search(
        self, images: torch.Tensor, bos: int, eos: int, beam: int = 3, max_len: int | None = None, alpha: float = 1.0
    ) -> list[list[int]]:
        """The best caption of each image (word ids, without ``<bos>`` and ``<eos>``) under the
        score ``log p(caption) / length^alpha``: ``beam`` hypotheses per image are extended by
        every word, the ``beam`` best continuations kept; a hypothesis that writes ``eos`` is
        finished. ``alpha = 0`` is the raw log-probability (which favours short captions);
        ``alpha = 1`` the mean per word. ``beam = 1`` is greedy decoding."""
        with torch.no_grad():  # not a decorator: torch.no_grad()'s wrapper code is shared by every decorated function
            return self._beam_search(images, bos, eos, beam, max_len, alpha)

    def _beam_search(self, images, bos, eos, beam, max_len, alpha) -> list[list[int]]:
        self.eval()
        max_len = min(max_len or self.max_len - 1, self.max_len - 1)
        results = []
        for memory in self.encode(images).split(1):
            alive: list[tuple[list[int], float]] = [([bos], 0.0)]
            done: list[tuple[list[int], float]] = []  # (words, normalised score)
            for _ in range(max_len):
                prefixes = torch.tensor([p for p, _ in alive], device=images.device)
                logp = self.decode(memory.expand(len(alive), -1, -1), prefixes)[:, -1].log_softmax(-1)
                total = torch.tensor([s for _, s in alive], device=images.device)[:, None] + logp
                best = total.flatten().topk(min(2 * beam, total.numel()))  # enough that `beam` stay alive
                alive = []
                for score, flat in zip(best.values.tolist(), best.indices.tolist()):
                    row, word = divmod(flat, logp.shape[1])
                    words = prefixes[row, 1:].tolist()
                    if word == eos:
                        done.append((words, score / (len(words) + 1) ** alpha))
                    elif len(alive) < beam:
                        alive.append(([bos, *words, word], score))
                if len(done) >= beam:  # as Hugging Face's early_stopping=True: `beam` finished captions
                    break
            done += [(p[1:], s / len(p[1:]) ** alpha) for p, s in alive] if len(done) < 1 else []
            results.append(max(done, key=lambda d: d[1])[0])
        return results

    @torch.no_grad()
    def cross_attention_maps(self, images: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Cross-attention weights of the last decoder block, averaged over heads:
        ``(B, T, N+1)`` — for each position of ``inputs``, how much it read each image vector
        (the class token first, then the patches in row order)."""
        self.eval()
        attention = self.blocks[-1].cross_attention.sublayer
        with keeping_weights(attention):
            self(images, inputs)
        return attention.last_weights.mean(-3)


def caption_loss(logits: torch.Tensor, targets: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """Cross-entropy of the next-word logits ``(B, T, V)`` against ``targets`` ``(B, T)``, padding ignored."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad)


def train_captioner(
    model: Captioner,
    images: torch.Tensor,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    caption_image: torch.Tensor,
    *,
    epochs: int,
    **recipe: Unpack[ImageCaptionRecipe],
) -> History:
    """Teacher forcing: every epoch visits each image once with one of its captions drawn at
    random (``inputs[j]``/``targets[j]`` is caption ``j``, of image ``caption_image[j]``), with
    the course's image–caption loop (AdamW, one-cycle schedule; the other keywords and their
    defaults are :class:`~course_utils.training.ImageCaptionRecipe`'s)."""

    def batch_loss(image_idx, caption_idx, generator):
        cap = caption_idx.to(inputs.device)
        return caption_loss(model(images[image_idx.to(images.device)], inputs[cap]), targets[cap])

    return _train_on_image_caption_batches(model, len(images), caption_image, batch_loss, epochs=epochs, **recipe)
