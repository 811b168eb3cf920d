"""Single-object scenes of chapter 05's generator with some shape–colour combinations held
out of training, for a zero-shot test on concepts a model never saw together.

Every colour and every shape appears in training, but the held-out pairs ("un círculo
rojo") never do; a model that classifies them from prompts has composed the words. The
scenes are drawn with :func:`~course_utils.datasets.captions_generator.render_scene` and
described with its :func:`~course_utils.datasets.captions_generator.all_captions`, so the
wording is chapter 05's.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .captions_generator import COLOURS, POSITIONS, SHAPES, SIZES, Scene, Thing, all_captions, render_scene

# One held-out pair per colour, every shape held out at least once. Every word of a held-out
# caption also occurs in training: the feminine "cruz" is held out with an invariable colour
# ("naranja"), because "morada" or "roja" would only ever describe a cross.
HELD_OUT: tuple[tuple[str, str], ...] = (
    ("círculo", "rojo"),
    ("cuadrado", "verde"),
    ("triángulo", "azul"),
    ("rombo", "amarillo"),
    ("cruz", "naranja"),
    ("círculo", "morado"),
)


def concepts() -> list[tuple[str, str]]:
    """Every (shape, colour) combination, in a fixed order: the classes of the zero-shot test."""
    return list(product(SHAPES, COLOURS))


@dataclass
class SceneSet:
    """Images ``(N, 3, 32, 32)`` float32 in [0, 1], every caption of each image, the index of
    its (shape, colour) in :func:`concepts` and of its full description (shape, colour, size,
    position: scenes with the same description share all their captions)."""

    images: np.ndarray
    captions: list[list[str]]
    concept: np.ndarray
    description: np.ndarray


def make_scenes(
    n: int,
    seed: int,
    held_out: bool = False,
    sizes: tuple[str, ...] = tuple(SIZES),
    positions: tuple[str, ...] = tuple(POSITIONS),
) -> SceneSet:
    """``n`` random single-object scenes whose concept is held out (``held_out=True``) or
    not (the training concepts), with a random size and position among ``sizes`` and
    ``positions``; seeded."""
    rng = np.random.default_rng(seed)
    every = concepts()
    pool = [c for c in every if (c in HELD_OUT) == held_out]
    images, captions, concept, description = [], [], [], []
    descriptions = list(product(every, SIZES, POSITIONS))
    for _ in range(n):
        chosen = pool[rng.integers(len(pool))]
        size, position = sizes[rng.integers(len(sizes))], positions[rng.integers(len(positions))]
        scene = Scene(Thing(*chosen, size), position=position)
        images.append(render_scene(scene, rng))
        captions.append(all_captions(scene))
        concept.append(every.index(chosen))
        description.append(descriptions.index((chosen, scene.first.size, scene.position)))
    pixels = np.stack(images).astype("float32").transpose(0, 3, 1, 2) / 255.0
    return SceneSet(pixels, captions, np.array(concept), np.array(description))


def concept_prompts(
    concept: tuple[str, str],
    paraphrases: tuple[int, ...] | None = None,
    sizes: tuple[str, ...] = tuple(SIZES),
    positions: tuple[str, ...] = tuple(POSITIONS),
) -> list[str]:
    """Prompts for one (shape, colour): the generator's captions of that object at each of
    ``sizes`` and ``positions`` (``paraphrases`` picks which of its wordings; all by default)."""
    prompts = []
    for size, position in product(sizes, positions):
        options = all_captions(Scene(Thing(*concept, size), position=position))
        prompts += [options[k] for k in (paraphrases or range(len(options)))]
    return prompts
