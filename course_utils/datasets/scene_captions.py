"""Captioned single-object scenes for chapter 07 (encoder–decoder captioning), and the parser
that reads a caption back into the scene's attributes.

The scenes and their Spanish captions are chapter 05's generator
(:mod:`~course_utils.datasets.captions_generator`) through chapter 06's
:func:`~course_utils.datasets.scene_concepts.make_scenes`: one object with a shape (5), a colour
(6), a size (2) and a position (5), described by four paraphrases ("un círculo rojo grande a la
izquierda", "hay un círculo grande de color rojo a la izquierda", …). Six shape–colour pairs
(:data:`~course_utils.datasets.scene_concepts.HELD_OUT`) are never captioned in training: a
captioner that describes them has composed words it saw only apart.

:func:`parse_caption` is the *scene-correctness* check: BLEU counts shared n-grams, so "un
círculo verde grande a la izquierda" scores high against "un círculo rojo grande a la izquierda"
although it names the wrong colour; parsing the caption back into (shape, colour, size,
position) and comparing with the scene says whether the caption is *true*.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .captions import tokenize
from .captions_generator import COLOURS, POSITIONS, SHAPES, SIZES
from .scene_concepts import SceneSet, concepts, make_scenes

ATTRIBUTES = ("forma", "color", "tamaño", "posición")
_SIZE_WORDS = {"grande": "grande", "gran": "grande", "pequeño": "pequeño", "pequeña": "pequeño"}


def descriptions() -> list[tuple[str, str, str, str]]:
    """Every (shape, colour, size, position), in the order of ``SceneSet.description``."""
    return [(s, c, size, pos) for (s, c), size, pos in product(concepts(), SIZES, POSITIONS)]


def _colour(word: str) -> str | None:
    if word in COLOURS:
        return word
    masculine = word[:-1] + "o" if word.endswith("a") else None  # roja → rojo; naranja is invariable
    return masculine if masculine in COLOURS else None


def parse_caption(caption: str) -> dict[str, str | None]:
    """The attributes a caption states: ``{"forma", "color", "tamaño", "posición"}`` → the
    generator's (masculine) word, or None where the caption names none or more than one."""
    words = tokenize(caption)
    found: dict[str, set[str]] = {a: set() for a in ATTRIBUTES}
    for word in words:
        if word in SHAPES:
            found["forma"].add(word)
        if _colour(word):
            found["color"].add(_colour(word))
        if word in _SIZE_WORDS:
            found["tamaño"].add(_SIZE_WORDS[word])
        if word in POSITIONS:
            found["posición"].add(word)
    return {a: next(iter(v)) if len(v) == 1 else None for a, v in found.items()}


def attribute_hits(captions: list[str], truth: list[tuple[str, str, str, str]]) -> np.ndarray:
    """``(N, 4)`` booleans: whether caption ``i`` states attribute ``k`` of scene ``i`` right
    (and only it). A caption is *correct* when its whole row is True."""
    if len(captions) != len(truth):
        raise ValueError(f"{len(captions)} frases para {len(truth)} escenas")
    rows = []
    for caption, attributes in zip(captions, truth):
        parsed = parse_caption(caption)
        rows.append([parsed[a] == v for a, v in zip(ATTRIBUTES, attributes)])
    return np.array(rows, dtype=bool).reshape(len(captions), len(ATTRIBUTES))


@dataclass
class CaptionSplits:
    """Train / validation scenes of the training compositions, and test scenes of the held-out
    ones (:data:`~course_utils.datasets.scene_concepts.HELD_OUT`) plus a seen-composition test
    set of the same size; each a :class:`~course_utils.datasets.scene_concepts.SceneSet`."""

    train: SceneSet
    val: SceneSet
    test_seen: SceneSet
    test_unseen: SceneSet

    def truth(self, split: str) -> list[tuple[str, str, str, str]]:
        every = descriptions()
        return [every[i] for i in getattr(self, split).description]


def caption_splits(
    n_train: int, n_val: int, n_test: int, seed: int = 7, sizes: tuple[str, ...] = tuple(SIZES)
) -> CaptionSplits:
    """Seeded scenes of every position and of ``sizes``: ``n_train`` and ``n_val`` of the
    training compositions, ``n_test`` of them and ``n_test`` of the held-out ones. Each split
    draws from its own seed, so the images never repeat across splits."""
    return CaptionSplits(
        train=make_scenes(n_train, seed=seed, sizes=sizes),
        val=make_scenes(n_val, seed=seed + 1, sizes=sizes),
        test_seen=make_scenes(n_test, seed=seed + 2, sizes=sizes),
        test_unseen=make_scenes(n_test, seed=seed + 3, held_out=True, sizes=sizes),
    )
