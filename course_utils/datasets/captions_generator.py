"""A seeded generator of small image–caption scenes in the Flickr8k layout.

Each image (32×32 RGB) shows one coloured shape at a position ("un círculo rojo grande a la
izquierda") or two shapes in a spatial relation ("una cruz amarilla encima de un rombo
morado"). Every image gets three Spanish captions written from different templates
(paraphrases), so a model must learn what the words mean, not one fixed sentence.

The output is the layout of the real Flickr8k (``Images/*.png`` + ``captions.txt`` with an
``image,caption`` header), so :mod:`course_utils.datasets.captions` reads both unchanged::

    python -m course_utils.datasets.captions_generator OUT_DIR [--images 4000] [--seed 2024]

Scenes are described by :class:`Scene`; :func:`render_scene` draws one, which is also how
the zero-shot test images of notebook 05 are made (fresh renders never written to disk).

Held-out compositions: :func:`composition_split` assigns every scene to ``train``, ``val`` or
``test`` by what it combines (a colour–shape pair such as "triángulo azul", or two shapes in a
relation such as a circle beside a square), so that validation and test scenes show
combinations the training scenes never contain. :func:`write_dataset` records that split per
image in ``splits.csv`` (the real Flickr8k has no such file; the loader then splits at random).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .folders import atomic_folder

IMAGE_SIZE = 32
SUPERSAMPLE = 4
DEFAULT_IMAGES = 4000
DEFAULT_SEED = 2024
CAPTIONS_PER_IMAGE = 3
GENERATOR_VERSION = 3
SPLIT_FILE = "splits.csv"

SHAPES = {"círculo": "m", "cuadrado": "m", "triángulo": "m", "rombo": "m", "cruz": "f"}
COLOURS = {
    "rojo": (220, 40, 40),
    "verde": (40, 160, 60),
    "azul": (40, 80, 220),
    "amarillo": (235, 200, 30),
    "morado": (140, 60, 180),
    "naranja": (245, 130, 20),
}
POSITIONS = {  # centre (x, y) of a single object, in pixels of the 32×32 image
    "izquierda": (8, 16),
    "derecha": (24, 16),
    "arriba": (16, 8),
    "abajo": (16, 24),
    "centro": (16, 16),
}
SIZES = {"pequeño": (3.5, 4.5), "grande": (6.5, 7.5)}  # radius range in pixels
RELATIONS = ("izquierda", "encima")  # "A a la izquierda de B", "A encima de B"


@dataclass(frozen=True)
class Thing:
    """One object: its shape, colour and (for single-object scenes) size."""

    shape: str
    colour: str
    size: str = "pequeño"


@dataclass(frozen=True)
class Scene:
    """One object at a position, or two objects where ``first`` is left of / above ``second``."""

    first: Thing
    position: str | None = None
    relation: str | None = None
    second: Thing | None = None

    def __post_init__(self) -> None:
        single = self.second is None
        if single != (self.position is not None) or single == (self.relation is not None):
            raise ValueError("una escena tiene o bien un objeto y una posición, o bien dos objetos y una relación")
        if self.position is not None and self.position not in POSITIONS:
            raise ValueError(f"posición desconocida {self.position!r}")
        if self.relation is not None and self.relation not in RELATIONS:
            raise ValueError(f"relación desconocida {self.relation!r}")


# --- Spanish wording -------------------------------------------------------------------------
def _feminine(shape: str) -> bool:
    return SHAPES[shape] == "f"


def _adjective(word: str, shape: str) -> str:
    """Agree an adjective ending in -o with the shape's gender (rojo → roja for "cruz")."""
    return word[:-1] + "a" if _feminine(shape) and word.endswith("o") else word


def _noun_phrase(thing: Thing, with_size: bool = False) -> str:
    article = "una" if _feminine(thing.shape) else "un"
    words = [article, thing.shape, _adjective(thing.colour, thing.shape)]
    if with_size:
        words.append(_adjective(thing.size, thing.shape))
    return " ".join(words)


_AT = {
    "izquierda": "a la izquierda",
    "derecha": "a la derecha",
    "arriba": "arriba",
    "abajo": "abajo",
    "centro": "en el centro",
}
_IN_PART = {
    "izquierda": "en la parte izquierda",
    "derecha": "en la parte derecha",
    "arriba": "en la parte de arriba",
    "abajo": "en la parte de abajo",
    "centro": "en el centro de la imagen",
}


def _single_captions(scene: Scene) -> list[str]:
    t, pos = scene.first, scene.position
    article = "una" if _feminine(t.shape) else "un"
    size = _adjective(t.size, t.shape)
    size_before = "gran" if t.size == "grande" else size  # "un gran círculo", "una pequeña cruz"
    return [
        f"{_noun_phrase(t, with_size=True)} {_AT[pos]}",
        f"hay {article} {t.shape} {size} de color {t.colour} {_AT[pos]}",
        f"{_AT[pos]}, {_noun_phrase(t, with_size=True)}",
        f"{article} {size_before} {t.shape} {_adjective(t.colour, t.shape)} {_IN_PART[pos]}",
    ]


def _pair_captions(scene: Scene) -> list[str]:
    a, b = _noun_phrase(scene.first), _noun_phrase(scene.second)
    if scene.relation == "izquierda":
        return [
            f"{a} a la izquierda de {b}",
            f"{b} a la derecha de {a}",
            f"{a} y, a su derecha, {b}",
            f"a la izquierda, {a}; a la derecha, {b}",
        ]
    return [f"{a} encima de {b}", f"{b} debajo de {a}", f"{a} y, debajo, {b}", f"arriba, {a}; abajo, {b}"]


def all_captions(scene: Scene) -> list[str]:
    """Every paraphrase the generator can write for ``scene`` (the first is the canonical one)."""
    return _single_captions(scene) if scene.second is None else _pair_captions(scene)


# --- drawing ---------------------------------------------------------------------------------
def _shape_mask(shape: str, x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    dx, dy = x - cx, y - cy
    if shape == "círculo":
        return dx**2 + dy**2 <= r**2
    if shape == "cuadrado":
        return (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    if shape == "rombo":
        return np.abs(dx) + np.abs(dy) <= 1.1 * r
    if shape == "cruz":
        return ((np.abs(dx) <= 0.35 * r) & (np.abs(dy) <= r)) | ((np.abs(dy) <= 0.35 * r) & (np.abs(dx) <= r))
    if shape == "triángulo":  # apex up, base at cy + 0.8 r
        height = dy + r
        return (height >= 0) & (dy <= 0.8 * r) & (np.abs(dx) <= height / 1.8)
    raise ValueError(f"forma desconocida {shape!r}")


def _placements(scene: Scene, rng: np.random.Generator) -> list[tuple[Thing, float, float, float]]:
    """(thing, cx, cy, radius) for each object, with a little random jitter."""
    if scene.second is None:
        cx, cy = POSITIONS[scene.position]
        r = rng.uniform(*SIZES[scene.first.size])
        jitter = 1.5 if scene.first.size == "grande" else 2.5
        cx, cy = cx + rng.uniform(-jitter, jitter), cy + rng.uniform(-jitter, jitter)
        if scene.first.size == "grande":  # keep big shapes inside the frame
            cx, cy = np.clip(cx, r + 0.5, IMAGE_SIZE - r - 0.5), np.clip(cy, r + 0.5, IMAGE_SIZE - r - 0.5)
        return [(scene.first, cx, cy, r)]
    r1, r2 = (rng.uniform(*SIZES["pequeño"]) for _ in range(2))
    along = (rng.uniform(7, 11), rng.uniform(21, 25))  # the axis of the relation
    across = 16 + rng.uniform(-5, 5)
    offset = rng.uniform(-3, 3)  # the two are roughly aligned on the other axis
    if scene.relation == "izquierda":
        return [(scene.first, along[0], across, r1), (scene.second, along[1], across + offset, r2)]
    return [(scene.first, across, along[0], r1), (scene.second, across + offset, along[1], r2)]


def render_scene(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Draw ``scene`` as a ``(32, 32, 3)`` uint8 image (anti-aliased by supersampling)."""
    n = IMAGE_SIZE * SUPERSAMPLE
    coords = (np.arange(n) + 0.5) / SUPERSAMPLE
    x, y = np.meshgrid(coords, coords)
    background = 235 + rng.uniform(-12, 8, size=3)
    canvas = np.broadcast_to(background, (n, n, 3)).copy()
    for thing, cx, cy, r in _placements(scene, rng):
        colour = np.clip(np.array(COLOURS[thing.colour]) + rng.uniform(-15, 15, size=3), 0, 255)
        canvas[_shape_mask(thing.shape, x, y, cx, cy, r)] = colour
    small = canvas.reshape(IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE, 3).mean(axis=(1, 3))
    small += rng.normal(0, 4, size=small.shape)
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)


def random_scene(
    rng: np.random.Generator, pair_fraction: float = 0.6, allowed: Callable[[Scene], bool] | None = None
) -> Scene:
    """A random scene: two related objects with probability ``pair_fraction``, else one.

    With ``allowed``, scenes it rejects are drawn again (to leave concepts out of a data set).
    """
    if allowed is not None:
        for _ in range(10_000):
            scene = random_scene(rng, pair_fraction)
            if allowed(scene):
                return scene
        raise ValueError("random_scene: `allowed` rejected 10 000 scenes in a row")
    shapes, colours = list(SHAPES), list(COLOURS)

    def thing(size: str = "pequeño") -> Thing:
        return Thing(shapes[rng.integers(len(shapes))], colours[rng.integers(len(colours))], size)

    if rng.random() < pair_fraction:
        first = thing()
        second = thing()
        while (second.shape, second.colour) == (first.shape, first.colour):
            second = thing()
        return Scene(first, relation=RELATIONS[rng.integers(len(RELATIONS))], second=second)
    size = list(SIZES)[rng.integers(len(SIZES))]
    return Scene(thing(size), position=list(POSITIONS)[rng.integers(len(POSITIONS))])


# --- held-out compositions ------------------------------------------------------------------
# Colour–shape pairs and (two shapes, relation) combinations kept out of training. Each shape,
# colour and relation still occurs in training in other combinations: what is new is the
# combination, so a model must compose what the words mean. (No feminine -o colour is held out
# with "cruz", the only feminine shape: "roja" would then be a word training never shows.)
HELD_OUT_THINGS = {
    "test": (("triángulo", "azul"), ("cruz", "verde"), ("círculo", "naranja")),
    "val": (("cuadrado", "rojo"), ("rombo", "amarillo")),
}
HELD_OUT_PAIRS = {  # (the two shapes in either order, relation)
    "test": ((frozenset({"círculo", "cuadrado"}), "izquierda"), (frozenset({"cruz", "rombo"}), "encima")),
    "val": ((frozenset({"triángulo", "rombo"}), "izquierda"), (frozenset({"círculo", "cruz"}), "encima")),
}


def composition_split(scene: Scene) -> str:
    """``"test"``, ``"val"`` or ``"train"``: the first held-out set whose compositions ``scene`` uses."""
    things = [scene.first] + ([] if scene.second is None else [scene.second])
    for split in ("test", "val"):
        if any((t.shape, t.colour) in HELD_OUT_THINGS[split] for t in things):
            return split
        if (
            scene.second is not None
            and (frozenset({scene.first.shape, scene.second.shape}), scene.relation) in HELD_OUT_PAIRS[split]
        ):
            return split
    return "train"


# --- the zero-shot test of notebook 05 -------------------------------------------------------
ZERO_SHOT_SCENES = (  # all five are held-out ("test") compositions: never in the training split
    Scene(Thing("círculo", "rojo"), relation="izquierda", second=Thing("cuadrado", "azul")),
    Scene(Thing("cuadrado", "azul"), relation="izquierda", second=Thing("círculo", "rojo")),
    Scene(Thing("cruz", "amarillo"), relation="encima", second=Thing("rombo", "morado")),
    Scene(Thing("triángulo", "azul", "grande"), position="centro"),
    Scene(Thing("cruz", "verde", "pequeño"), position="derecha"),
)
SWAPPED_SCENES = (0, 1)  # the same two objects with the relation swapped: the hardest case


def zero_shot_set(per_scene: int = 20, seed: int = 7) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Fresh renders of five fixed scenes, never written to the training data.

    Returns images ``(5·per_scene, 32, 32, 3)``, the five canonical captions (the first two,
    :data:`SWAPPED_SCENES`, describe the same two objects with the relation swapped, the hardest
    case) and, for each image, the index of the caption that describes it. Every scene is a
    held-out composition (:func:`composition_split` gives ``"test"``).
    """
    rng = np.random.default_rng(seed)
    images, correct = [], []
    for index, scene in enumerate(ZERO_SHOT_SCENES):
        for _ in range(per_scene):
            images.append(render_scene(scene, rng))
            correct.append(index)
    return np.stack(images), [all_captions(s)[0] for s in ZERO_SHOT_SCENES], np.array(correct)


# --- writing the Flickr8k layout -------------------------------------------------------------
def write_dataset(
    out_dir: str | Path,
    n_images: int = DEFAULT_IMAGES,
    seed: int = DEFAULT_SEED,
    allowed: Callable[[Scene], bool] | None = None,
) -> Path:
    """Write ``Images/escena_NNNNN.png``, ``captions.txt`` and ``splits.csv`` into ``out_dir``.

    ``splits.csv`` (``image,split``) gives each image's :func:`composition_split`. ``allowed``
    filters the scenes (see :func:`random_scene`). The folder is assembled next to ``out_dir``
    and renamed into place (atomically), so concurrent callers never see half a dataset.
    Same seed → identical pixels and captions.
    """
    out_dir = Path(out_dir)
    with atomic_folder(out_dir, marker="captions.txt") as work:
        (work / "Images").mkdir()
        rng = np.random.default_rng(seed)
        rows, splits = ["image,caption"], ["image,split"]
        for index in range(n_images):
            scene = random_scene(rng, allowed=allowed)
            name = f"escena_{index:05d}.png"
            splits.append(f"{name},{composition_split(scene)}")
            Image.fromarray(render_scene(scene, rng)).save(work / "Images" / name, optimize=False)
            options = all_captions(scene)
            for k in sorted(rng.choice(len(options), size=CAPTIONS_PER_IMAGE, replace=False)):
                rows.append(f"{name},{options[k]}")
        (work / "captions.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
        (work / SPLIT_FILE).write_text("\n".join(splits) + "\n", encoding="utf-8")
    return out_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--images", type=int, default=DEFAULT_IMAGES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.out_dir.exists():
        raise SystemExit(f"{args.out_dir} already exists; choose a new folder")
    write_dataset(args.out_dir, args.images, args.seed)
    print(f"{args.images} images and {args.images * CAPTIONS_PER_IMAGE} captions written to {args.out_dir}")


if __name__ == "__main__":
    main()
