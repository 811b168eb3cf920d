"""Image–caption data in the Flickr8k layout: a folder ``Images/`` and a ``captions.txt`` whose
first line is ``image,caption`` and whose rows name an image file and one caption for it
(several rows per image). The real Flickr8k (Kaggle edition) has exactly this layout.

Where the data is looked for, in order:

1. the ``directory`` argument;
2. ``$COURSE_CAPTIONS_DIR``;
3. ``data/flickr8k/`` — where an instructor may put the real Flickr8k (git ignores it);
4. the course's generated scenes (:mod:`course_utils.datasets.captions_generator`), written on
   first use into the cache folder (``build/cache/captions/``; a few seconds, offline).

Images are read with Pillow, converted to RGB and resized to ``image_size`` pixels. Splits are
made **by image**, so no image's captions end up on both sides. The generated scenes also carry
``splits.csv`` (``image,split``): held-out compositions for validation and test
(:func:`~course_utils.datasets.captions_generator.composition_split`), read into
:attr:`CaptionSet.split_labels` and used by :meth:`CaptionSet.split`. Malformed files raise
:class:`CaptionsError` naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..config import cache_dir, data_dir
from . import captions_generator as generator

ENV_DIR = "COURSE_CAPTIONS_DIR"
HEADER = ("image", "caption")


class CaptionsError(ValueError):
    """The caption file or the image folder is missing or malformed."""


@dataclass
class CaptionSet:
    """Images (``uint8``, ``(N, H, W, 3)``), their file names, and the captions of each image."""

    images: np.ndarray
    names: list[str]
    captions: list[list[str]]
    source: Path | None = None
    split_labels: list[str] | None = None  # "train"/"val"/"test" per image, when the data defines them

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, indices: Sequence[int]) -> CaptionSet:
        """The images at ``indices`` with their captions."""
        idx = np.asarray(indices, dtype=int)
        labels = None if self.split_labels is None else [self.split_labels[i] for i in idx]
        return CaptionSet(
            self.images[idx], [self.names[i] for i in idx], [self.captions[i] for i in idx], self.source, labels
        )

    def pairs(self) -> tuple[np.ndarray, list[str]]:
        """One row per caption: (index of its image, caption text)."""
        image_index = np.array([i for i, caps in enumerate(self.captions) for _ in caps], dtype=int)
        return image_index, [c for caps in self.captions for c in caps]

    def split(
        self, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
    ) -> tuple[CaptionSet, CaptionSet, CaptionSet]:
        """Train/validation/test split **by image**.

        With :attr:`split_labels` (the generated scenes) the split is the data's own: held-out
        compositions for validation and test, each in a seeded order. Otherwise a seeded
        permutation cut at ``fractions``.
        """
        if self.split_labels is not None:
            rng = np.random.default_rng(seed)
            labels = np.asarray(self.split_labels)
            return tuple(
                self.subset(rng.permutation(np.flatnonzero(labels == part)))  # type: ignore[return-value]
                for part in ("train", "val", "test")
            )
        if abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
            raise ValueError(f"las fracciones deben ser no negativas y sumar 1; se recibió {fractions}")
        order = np.random.default_rng(seed).permutation(len(self))
        n_train = int(round(fractions[0] * len(self)))
        n_val = int(round(fractions[1] * len(self)))
        return (
            self.subset(order[:n_train]),
            self.subset(order[n_train : n_train + n_val]),
            self.subset(order[n_train + n_val :]),
        )


# --- reading ---------------------------------------------------------------------------------
def _utf8_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file; a file in another encoding is an error naming its line."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise CaptionsError(
            f"{path}, línea {line}: no es UTF-8 válido ({err.reason} en el byte {err.start}); guarde el archivo como UTF-8"
        ) from None


def read_caption_file(path: str | Path) -> dict[str, list[str]]:
    """``{image name: [captions]}`` from a Flickr8k ``captions.txt`` (order of first appearance).

    Captions may contain commas (quoted or not): a row is split at its first comma only.
    """
    path = Path(path)
    if not path.is_file():
        raise CaptionsError(f"{path}: no existe el archivo (se esperaba un captions.txt al estilo de Flickr8k)")
    lines = _utf8_lines(path)
    if not lines or tuple(h.strip().lower() for h in lines[0].split(",")) != HEADER:
        first = lines[0][:60] if lines else "(empty file)"
        raise CaptionsError(f"{path}, línea 1: se esperaba la cabecera 'image,caption' y se encontró {first!r}")
    result: dict[str, list[str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        name, comma, caption = line.partition(",")
        if caption.startswith('"'):
            caption = next(csv.reader(io.StringIO(caption)))[0]
        name, caption = name.strip(), caption.strip()
        if not comma or not name:
            raise CaptionsError(f"{path}, línea {number}: se esperaba 'image,caption' y se encontró {line[:60]!r}")
        if not caption:
            raise CaptionsError(f"{path}, línea {number}: la descripción de {name!r} está vacía")
        if "/" in name or "\\" in name or name in (".", ".."):
            raise CaptionsError(f"{path}, línea {number}: {name!r} debe ser el nombre de un archivo dentro de Images/")
        result.setdefault(name, []).append(caption)
    if not result:
        raise CaptionsError(f"{path}: el archivo tiene cabecera pero ninguna descripción")
    return result


def _read_image(path: Path, image_size: int) -> np.ndarray:
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            if img.size != (image_size, image_size):
                img = img.resize((image_size, image_size), Image.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except FileNotFoundError:
        raise CaptionsError(f"{path}: aparece en captions.txt pero falta el archivo de imagen") from None
    except (UnidentifiedImageError, OSError) as err:
        raise CaptionsError(f"{path}: no es una imagen legible ({err})") from None


def read_split_file(path: str | Path) -> dict[str, str]:
    """``{image name: "train" | "val" | "test"}`` from a ``splits.csv`` (header ``image,split``)."""
    path = Path(path)
    lines = _utf8_lines(path)
    if not lines or lines[0].strip() != "image,split":
        raise CaptionsError(f"{path}, línea 1: se esperaba la cabecera 'image,split'")
    result = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        name, _, part = (x.strip() for x in line.partition(","))
        if part not in ("train", "val", "test"):
            raise CaptionsError(
                f"{path}, línea {number}: la partición debe ser train, val o test; se encontró {part!r}"
            )
        result[name] = part
    return result


def load_flickr_layout(
    directory: str | Path, image_size: int = generator.IMAGE_SIZE, limit: int | None = None
) -> CaptionSet:
    """Read ``directory/captions.txt`` and the images it names from ``directory/Images/``
    (and ``splits.csv`` when present)."""
    directory = Path(directory)
    if not (directory / "Images").is_dir():
        raise CaptionsError(f"{directory}: no hay carpeta Images/ (se esperaba la estructura de Flickr8k)")
    table = read_caption_file(directory / "captions.txt")
    names = list(table)[:limit]
    images = np.stack([_read_image(directory / "Images" / n, image_size) for n in names])
    labels = None
    if (directory / generator.SPLIT_FILE).is_file():
        splits = read_split_file(directory / generator.SPLIT_FILE)
        missing = [n for n in names if n not in splits]
        if missing:
            raise CaptionsError(f"{directory / generator.SPLIT_FILE}: no hay partición para {missing[0]!r}")
        labels = [splits[n] for n in names]
    return CaptionSet(images, names, [table[n] for n in names], directory, labels)


def synthetic_dir() -> Path:
    """The cache folder of the generated scenes (versioned by generator, size and seed)."""
    name = f"synthetic-v{generator.GENERATOR_VERSION}-{generator.DEFAULT_IMAGES}-{generator.DEFAULT_SEED}"
    return cache_dir("captions", name)


def captions_dir(directory: str | Path | None = None) -> Path:
    """The folder to read, following the search order of this module (generating if needed)."""
    for candidate in (directory, os.environ.get(ENV_DIR)):
        if candidate:
            return Path(candidate)
    real = data_dir("flickr8k")
    if (real / "captions.txt").is_file():
        return real
    target = synthetic_dir()
    if not (target / "captions.txt").is_file():
        generator.write_dataset(target)
    return target


def is_synthetic(directory: Path) -> bool:
    """Whether ``directory`` holds the course's generated scenes (not real photographs)."""
    return Path(directory).name.startswith("synthetic-")


def load_captions(
    directory: str | Path | None = None, image_size: int = generator.IMAGE_SIZE, limit: int | None = None
) -> CaptionSet:
    """Load the image–caption set (see the module docstring for where it is looked for)."""
    return load_flickr_layout(captions_dir(directory), image_size, limit)


# --- text ------------------------------------------------------------------------------------
_WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-case words (accents kept, punctuation dropped)."""
    return _WORD.findall(text.lower())


@dataclass
class Vocabulary:
    """Word ↔ id table built from training captions; id 0 pads, id 1 is an unknown word."""

    words: list[str] = field(default_factory=lambda: ["<pad>", "<unk>"])

    PAD = 0
    UNK = 1

    @classmethod
    def build(cls, texts: Sequence[str], min_count: int = 1) -> Vocabulary:
        counts: dict[str, int] = {}
        for text in texts:
            for word in tokenize(text):
                counts[word] = counts.get(word, 0) + 1
        kept = sorted(w for w, c in counts.items() if c >= min_count)
        return cls(["<pad>", "<unk>", *kept])

    def __len__(self) -> int:
        return len(self.words)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    def encode(self, texts: Sequence[str], max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Token ids ``(N, T)`` (padded with 0) and a boolean mask ``(N, T)`` of real tokens."""
        ids = [[self.index.get(w, self.UNK) for w in tokenize(t)] or [self.UNK] for t in texts]
        length = max_len or max(len(i) for i in ids)
        out = np.zeros((len(ids), length), dtype=np.int64)
        for row, seq in enumerate(ids):
            seq = seq[:length]
            out[row, : len(seq)] = seq
        return out, out != self.PAD

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Words of a row of ids, without padding."""
        return [self.words[i] for i in ids if i != self.PAD]
