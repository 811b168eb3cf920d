"""Visual question answering models behind one interface, built from the shared layers.

Every model is called as ``model(images, tokens, mask) -> logits``: ``images`` ``(B, 24, 24, 3)``
``uint8`` (or float in [0, 1]), ``tokens`` ``(B, T)`` word ids, ``mask`` ``(B, T)`` True at real
words; the logits score the answers. :func:`build_vqa_model` makes one by name (``VQA_MODELS``):

- ``pregunta`` / ``imagen``: the blind baselines, reading only the question or only the image;
- ``concatenación``: the image's cell features flattened and concatenated with the question
  vector, then an MLP (as the CNN+LSTM baseline of Johnson et al. 2017);
- ``producto``: the two projected to one size and multiplied element-wise, then an MLP;
- ``film``: the question scales and shifts every channel of the image's feature map in each
  residual block (Perez et al. 2018); the first block sees only what each cell holds, the
  others also the coordinate maps;
- ``atención cruzada``: the question's words attend over the image cells (queries = words,
  keys and values = cells), two Pre-LN blocks, in the spirit of stacked attention (Yang et al.
  2016);
- ``flujo único``: a class token, the words and the cells in **one** sequence with modality-type
  embeddings and positions, and self-attention over all of it (ViLT, Kim et al. 2021).

The image side of every model is the same: the 6×6 cells cut as patches
(:func:`course_utils.models.vit.patchify`) and embedded by a small MLP, with learned positions.
The question side is :class:`QuestionEncoder` (word embeddings read by a GRU: a vector per word
and the last state for the question), except in the single-stream model, which embeds the words itself
(:class:`course_utils.models.layers.TokenEmbedding`: each word plus its position). Attention is
:class:`course_utils.models.layers.PreLNBlock` / :class:`~course_utils.models.layers.MultiHeadAttention`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import PreLNBlock, TokenEmbedding
from .vit import patchify

PATCH = 6
CELLS = 16


def as_float_images(images: torch.Tensor) -> torch.Tensor:
    """``(B, H, W, 3)`` uint8 or float → ``(B, 3, H, W)`` float in [0, 1]."""
    x = images.permute(0, 3, 1, 2)
    return x.float() / 255.0 if not torch.is_floating_point(x) else x


class CellEncoder(nn.Module):
    """The image as 16 cell vectors ``(B, 16, dim)``: each 6×6 patch through a two-layer MLP,
    plus a learned position per cell (unless ``positions=False``)."""

    def __init__(self, dim: int, positions: bool = True):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(3 * PATCH * PATCH, dim), nn.GELU(), nn.Linear(dim, dim))
        self.positions = nn.Parameter(torch.randn(1, CELLS, dim) * 0.02) if positions else None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        cells = self.mlp(patchify(as_float_images(images), PATCH))
        return cells if self.positions is None else cells + self.positions


class QuestionEncoder(nn.Module):
    """Word embeddings read left to right by a GRU (Cho et al. 2014), as the question encoders of
    CLEVR's baselines (an LSTM) and of FiLM (a GRU, Perez et al. 2018): per-word vectors
    ``(B, T, dim)`` (each the GRU's state after that word; padding zeroed) and one question
    vector ``(B, dim)``, the state after the last real word. The recurrence composes the words —
    «triángulo» then «azul» gives a state for the blue triangle — and keeps their order (which
    object comes first in a relation). Padding goes at the end (``mask`` True at the start of
    each row), so it never changes a real word's state."""

    def __init__(self, vocab_size: int, dim: int, max_words: int = 16):
        super().__init__()
        self.max_words = max_words
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.gru = nn.GRU(dim, dim, batch_first=True)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        length = tokens.shape[1]
        if length > self.max_words:
            raise ValueError(f"preguntas de {length} palabras: el modelo admite {self.max_words} como mucho")
        words = self.gru(self.embed(tokens))[0] * mask.unsqueeze(-1)
        last = (mask.long().sum(1) - 1).clamp(min=0)
        return words, words[torch.arange(len(words), device=words.device), last]


def head(in_dim: int, hidden: int, answers: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, answers))


class QuestionOnly(nn.Module):
    """Blind baseline: the answer from the question alone (measures the language prior)."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 64, hidden: int = 128):
        super().__init__()
        self.question = QuestionEncoder(vocab_size, dim)
        self.head = head(dim, hidden, answers)

    def forward(self, images, tokens, mask):
        return self.head(self.question(tokens, mask)[1])


class ImageOnly(nn.Module):
    """Blind baseline: the answer from the image alone (no question)."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 32, hidden: int = 128):
        super().__init__()
        self.cells = CellEncoder(dim)
        self.head = head(CELLS * dim, hidden, answers)

    def forward(self, images, tokens, mask):
        return self.head(self.cells(images).flatten(1))


class Concatenation(nn.Module):
    """``[cells flattened ; question]`` → MLP."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 48, cell_dim: int = 16, hidden: int = 192):
        super().__init__()
        self.cells = CellEncoder(dim)
        self.reduce = nn.Linear(dim, cell_dim)
        self.question = QuestionEncoder(vocab_size, dim)
        self.mlp = nn.Sequential(nn.Linear(CELLS * cell_dim + dim, hidden), nn.ReLU(), head(hidden, hidden, answers))

    def forward(self, images, tokens, mask):
        image = self.reduce(self.cells(images)).flatten(1)
        return self.mlp(torch.cat([image, self.question(tokens, mask)[1]], dim=-1))


class Product(nn.Module):
    """Image and question projected to ``hidden`` and multiplied element-wise → MLP."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 48, cell_dim: int = 16, hidden: int = 192):
        super().__init__()
        self.cells = CellEncoder(dim)
        self.reduce = nn.Linear(dim, cell_dim)
        self.image_proj = nn.Linear(CELLS * cell_dim, hidden)
        self.question = QuestionEncoder(vocab_size, dim)
        self.question_proj = nn.Linear(dim, hidden)
        self.head = head(hidden, hidden, answers)

    def forward(self, images, tokens, mask):
        image = torch.tanh(self.image_proj(self.reduce(self.cells(images)).flatten(1)))
        question = torch.tanh(self.question_proj(self.question(tokens, mask)[1]))
        return self.head(image * question)


class FiLMBlock(nn.Module):
    """Residual block over the cells: 1×1 conv → ReLU → 1×1 conv → BatchNorm (no affine) → FiLM →
    ReLU → + input. ``film`` maps the question to the block's (γ, β), the first ``channels``
    values γ; its bias starts γ at 1 (Perez et al. 2018 predict Δγ for the same reason: the
    block starts as an unmodulated residual block). With ``coords`` the block also reads the
    two coordinate maps (each cell's column and row in [−1, 1]); without them it sees only
    *what* each cell holds. The convolutions are 1×1 because each cell holds at most one
    object: the same weights read every cell."""

    def __init__(self, channels: int, cond_dim: int, coords: bool = True):
        super().__init__()
        self.coords = coords
        self.conv1 = nn.Conv2d(channels + (2 if coords else 0), channels, 1)
        self.conv2 = nn.Conv2d(channels, channels, 1)
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.film = nn.Linear(cond_dim, 2 * channels)
        with torch.no_grad():
            self.film.bias[:channels] += 1.0

    def forward(self, x: torch.Tensor, coords: torch.Tensor, question: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.conv2(F.relu(self.conv1(torch.cat([x, coords], dim=1) if self.coords else x))))
        scale_shift = self.film(question).view(len(question), 2, -1, 1, 1)
        return x + F.relu(torch.addcmul(scale_shift[:, 1], scale_shift[:, 0], h))


class FiLMNet(nn.Module):
    """The cells as a 4×4 feature map (each cell's patch through the shared MLP, **no** position
    added); ``blocks`` FiLM residual blocks conditioned on the question, the first without the
    coordinate maps (it decides *what* is in each cell the same way everywhere), the others with
    them (*where*); then a 1×1 conv and four poolings over the cells: maximum and mean (Perez et
    al. 2018 pool with the maximum; the mean counts) and the means weighted by each cell's column
    and row (a channel that marks one object then carries its position). The classifier also reads
    the question vector: with two objects in a question (a relation, a comparison) it must know
    which pooled channels hold the first and which the second (Perez et al. 2018 feed it only the
    image features, and train for days)."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 48, blocks: int = 3, hidden: int = 128):
        super().__init__()
        self.cells = CellEncoder(dim, positions=False)
        self.question = QuestionEncoder(vocab_size, dim)
        self.blocks = nn.ModuleList(FiLMBlock(dim, dim, coords=i > 0) for i in range(blocks))
        side = torch.linspace(-1, 1, 4)
        self.register_buffer("coords", torch.stack(torch.meshgrid(side, side, indexing="ij")).unsqueeze(0))
        self.reduce = nn.Conv2d(dim, 2 * dim, 1)
        self.head = head(9 * dim, hidden, answers)

    def forward(self, images, tokens, mask):
        x = self.cells(images).transpose(1, 2).unflatten(2, (4, 4))  # (B, dim, 4, 4)
        question = self.question(tokens, mask)[1]
        coords = self.coords.expand(len(x), -1, -1, -1)
        for block in self.blocks:
            x = block(x, coords, question)
        x = F.relu(self.reduce(x)).flatten(2)  # (B, 2·dim, 16)
        where = self.coords.flatten(2)  # (1, 2, 16): row, column of each cell
        pooled = [x.amax(dim=2), x.mean(dim=2), (x * where[:, 1:]).mean(dim=2), (x * where[:, :1]).mean(dim=2)]
        return self.head(torch.cat([*pooled, question], dim=1))


class CrossAttention(nn.Module):
    """The question's words (:class:`QuestionEncoder`'s per-word vectors, with their positions)
    attend over the image cells in ``depth`` Pre-LN cross-attention blocks
    (queries: words; keys and values: cells); the words' masked mean → MLP. With
    :func:`keep_attention` each block's ``attention.sublayer.last_weights`` keeps its weights."""

    def __init__(self, vocab_size: int, answers: int, dim: int = 48, depth: int = 2, heads: int = 4, hidden: int = 128):
        super().__init__()
        self.cells = CellEncoder(dim)
        self.question = QuestionEncoder(vocab_size, dim)
        self.blocks = nn.ModuleList(PreLNBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = head(dim, hidden, answers)

    def forward(self, images, tokens, mask):
        cells = self.cells(images)
        words = self.question(tokens, mask)[0]
        for block in self.blocks:
            words = block(words, cells)
        weights = mask.unsqueeze(-1).float()
        pooled = (self.norm(words) * weights).sum(1) / weights.sum(1).clamp(min=1)
        return self.head(pooled)


class SingleStream(nn.Module):
    """ViLT-like: ``[CLS] + words + cells`` in one sequence — each word embedding plus its
    position and the text type, each cell plus its position and the image type — through
    ``depth`` self-attention Pre-LN blocks (padding masked); the class token → MLP."""

    def __init__(
        self,
        vocab_size: int,
        answers: int,
        dim: int = 48,
        depth: int = 2,
        heads: int = 4,
        hidden: int = 128,
        max_words: int = 16,
    ):
        super().__init__()
        self.tokens = TokenEmbedding(vocab_size, dim, max_words)  # each word plus its position
        self.cells = CellEncoder(dim)  # includes the cells' positions
        self.types = nn.Embedding(2, dim)  # 0: text, 1: image
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList(PreLNBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = head(dim, hidden, answers)

    def sequence(self, images, tokens, mask) -> tuple[torch.Tensor, torch.Tensor]:
        """The joint sequence ``(B, 1 + T + 16, dim)`` and its key mask."""
        batch, length = tokens.shape
        kinds = torch.cat([tokens.new_zeros(1, 1 + length), tokens.new_ones(1, CELLS)], dim=1)
        parts = [
            self.cls.expand(batch, 1, -1),
            self.tokens(tokens),
            self.cells(images),
        ]
        keys = torch.cat([mask.new_ones(batch, 1), mask.bool(), mask.new_ones(batch, CELLS)], dim=1)
        return torch.cat(parts, dim=1) + self.types(kinds), keys

    def forward(self, images, tokens, mask):
        x, keys = self.sequence(images, tokens, mask)
        for block in self.blocks:
            x = block(x, key_mask=keys)
        return self.head(self.norm(x[:, 0]))


VQA_MODELS = {
    "pregunta": QuestionOnly,
    "imagen": ImageOnly,
    "concatenación": Concatenation,
    "producto": Product,
    "film": FiLMNet,
    "atención cruzada": CrossAttention,
    "flujo único": SingleStream,
}


def build_vqa_model(name: str, vocab_size: int, answers: int, **sizes) -> nn.Module:
    """One of ``VQA_MODELS`` by name, with its default sizes unless ``sizes`` overrides them."""
    if name not in VQA_MODELS:
        raise ValueError(f"modelo desconocido {name!r}; usa uno de {', '.join(VQA_MODELS)}")
    return VQA_MODELS[name](vocab_size, answers, **sizes)


def keep_attention(model: nn.Module, keep: bool = True) -> None:
    """Make every attention layer of ``model`` keep its weights (``last_weights``) for drawing."""
    for module in model.modules():
        if hasattr(module, "keep_weights"):
            module.keep_weights = keep
