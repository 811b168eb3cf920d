"""Visual question answering on generated 2-D scenes, with Spanish questions by family.

**Scenes.** A 24×24 RGB image is a 4×4 grid of 6×6-pixel cells; 3 to 7 objects sit in distinct
cells. Each object has a colour (rojo, verde, azul, amarillo), a shape (cuadrado, círculo,
triángulo), a size (grande: drawn in 5×5 pixels, pequeño: 3×3) and a cell (row, column); it is
drawn centred in its cell, with its brightness jittered, over a slightly noisy background. A scene draws 2–4 *types* (shape and
colour) and at most three objects of each type, so that counts of 2 and 3 are common.

**Questions** (``FAMILIES``), each from templates with several phrasings, every object named by
its type ("el círculo rojo"):

- ``existencia``: "¿Hay algún triángulo azul?" → sí / no;
- ``conteo``: "¿Cuántos cuadrados verdes hay?" → 0 … 3;
- ``atributo`` (a type that occurs once): its size (grande / pequeño) or its half of the image
  (izquierda / derecha);
- ``relación`` (two types that occur once): "¿Está el círculo rojo a la izquierda del cuadrado
  azul?" (izquierda, derecha, encima, debajo: strictly, by cell) → sí / no;
- ``comparación``: more / as many objects of one type as of another, or the same size → sí / no.

**Balancing** (Johnson et al., 2017, CLEVR): the answers of each *kind* of question (a family
and, where it has them, its sub-kind: the relation, the comparison, the attribute asked) are
balanced by rejection with CLEVR's rule: a question is skipped when its answer already has more
than 1.1 × the second-largest count of its kind, or more than 5 × the median count (the upper
median, at least 5), counted over every possible answer of the kind; so a model that reads only
the question sits near chance within each kind.

**Held-out compositions** (of *what* and *where*): the types in ``HELD_OUT`` (a triangle that is
blue, a circle that is yellow, a square that is green) stand, in every training, validation and
``test_seen`` image, only on the light squares of a chessboard laid over the grid
(:func:`seen_cell`), and are asked about there like any other type; in ``test_heldout`` images
they stand only on the dark squares, every scene holds one and every question names one. So a
test question asks about an object in a cell where an object of its kind was never seen, while
every type and every cell are seen in training. A model that treats *what* an object is and
*where* it is separately (the same weights for every cell, the position added) answers them as
it answers seen ones; one that learned what each cell may hold does not. (CLEVR's CoGenT holds out
colour–shape combinations from the training images altogether; with a few minutes of CPU
training and no pretrained vision, from-scratch models answer those at chance — chapter 08
measured it — so this split tests the composition such models can learn.)

**On-disk layout** (a folder; :func:`write_dataset`, :func:`load_vqa`):

- ``images.npy``: ``uint8`` array ``(n_images, 24, 24, 3)``;
- ``scenes.json``: per image, its objects (colour, shape, size, row, column);
- ``questions.csv``: header ``image,split,family,kind,question,answer``; ``image`` is the row of
  ``images.npy``; ``split`` one of ``SPLITS``.

Errors in these files are raised as :class:`VQADataError` in Spanish, naming the file and line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import cache_dir
from .captions import Vocabulary

GRID = 4
CELL = 6
IMAGE_SIZE = GRID * CELL
GENERATOR_VERSION = 4
DEFAULT_SEED = 2017
DEFAULT_SCENES = {"train": 5000, "val": 600, "test_seen": 800, "test_heldout": 800}
COLOURS = {"rojo": (1.0, 0.15, 0.1), "verde": (0.1, 0.85, 0.2), "azul": (0.15, 0.3, 1.0), "amarillo": (1.0, 0.9, 0.1)}
COLOUR_PLURALS = {"rojo": "rojos", "verde": "verdes", "azul": "azules", "amarillo": "amarillos"}
SHAPES = ("cuadrado", "círculo", "triángulo")
SHAPE_PLURALS = {"cuadrado": "cuadrados", "círculo": "círculos", "triángulo": "triángulos"}
SIZES = {"grande": 5, "pequeño": 3}  # side of the drawing in pixels
FAMILIES = ("existencia", "conteo", "atributo", "relación", "comparación")
HELD_OUT = frozenset({("triángulo", "azul"), ("círculo", "amarillo"), ("cuadrado", "verde")})
TYPES = tuple((s, c) for s in SHAPES for c in COLOURS)
SPLITS = ("train", "val", "test_seen", "test_heldout")
KIND_ANSWERS = {  # the answers among which each kind of question is balanced
    "existencia": ("sí", "no"),
    "conteo": ("0", "1", "2", "3"),
    "atributo:tamaño": ("grande", "pequeño"),
    "atributo:lado": ("izquierda", "derecha"),
    **{f"relación:{r}": ("sí", "no") for r in ("izquierda", "derecha", "encima", "debajo")},
    **{f"comparación:{c}": ("sí", "no") for c in ("más", "igual", "tamaño")},
}
ANSWERS = tuple(dict.fromkeys(a for answers in KIND_ANSWERS.values() for a in answers))
TEMPLATES = {  # {a}, {b}: a type in the singular ("círculo rojo"); {ap}, {bp}: in the plural
    "existencia": ("¿Hay algún {a}?", "¿Aparece algún {a} en la imagen?", "¿Se ve algún {a}?"),
    "conteo": ("¿Cuántos {ap} hay?", "¿Cuántos {ap} aparecen en la imagen?", "¿Qué número de {ap} se ve?"),
    "atributo:tamaño": ("¿De qué tamaño es el {a}?", "¿Qué tamaño tiene el {a}?", "¿El {a} es grande o pequeño?"),
    "atributo:lado": (
        "¿En qué mitad está el {a}, la izquierda o la derecha?",
        "¿El {a} está en la mitad izquierda o en la derecha?",
    ),
    "relación:izquierda": ("¿Está el {a} a la izquierda del {b}?", "¿El {a} queda a la izquierda del {b}?"),
    "relación:derecha": ("¿Está el {a} a la derecha del {b}?", "¿El {a} queda a la derecha del {b}?"),
    "relación:encima": ("¿Está el {a} encima del {b}?", "¿El {a} queda por encima del {b}?"),
    "relación:debajo": ("¿Está el {a} debajo del {b}?", "¿El {a} queda por debajo del {b}?"),
    "comparación:más": ("¿Hay más {ap} que {bp}?", "¿Aparecen más {ap} que {bp}?"),
    "comparación:igual": ("¿Hay tantos {ap} como {bp}?", "¿Hay el mismo número de {ap} que de {bp}?"),
    "comparación:tamaño": ("¿Son del mismo tamaño el {a} y el {b}?", "¿Tienen el mismo tamaño el {a} y el {b}?"),
}
KINDS_BY_FAMILY = {f: tuple(k for k in KIND_ANSWERS if k.split(":")[0] == f) for f in FAMILIES}
QUOTA = {"existencia": 2, "conteo": 2, "atributo": 2, "relación": 2, "comparación": 2}  # questions per scene, at most
QUESTION_COLUMNS = ("image", "split", "family", "kind", "question", "answer")


class VQADataError(ValueError):
    """A file of the VQA layout that cannot be read (the message names the file and line)."""


@dataclass(frozen=True)
class Thing:
    shape: str
    colour: str
    size: str
    row: int
    col: int

    @property
    def type(self) -> tuple[str, str]:
        return (self.shape, self.colour)


def singular(kind: tuple[str, str]) -> str:
    return f"{kind[0]} {kind[1]}"


def plural(kind: tuple[str, str]) -> str:
    return f"{SHAPE_PLURALS[kind[0]]} {COLOUR_PLURALS[kind[1]]}"


# --- rendering -------------------------------------------------------------------------------
def _mask(shape: str, side: int) -> np.ndarray:
    r, c = np.mgrid[0:side, 0:side]
    centre = (side - 1) / 2
    if shape == "cuadrado":
        return np.ones((side, side), dtype=bool)
    if shape == "círculo":
        return (r - centre) ** 2 + (c - centre) ** 2 <= (side / 2) ** 2 - (0.3 if side == 5 else 1.2)
    return np.abs(c - centre) <= r / 2  # triángulo, pointing up


MASKS = {(s, z): _mask(s, side) for s in SHAPES for z, side in SIZES.items()}


def render(things: Sequence[Thing], rng: np.random.Generator) -> np.ndarray:
    """The scene as ``uint8`` ``(24, 24, 3)``: a dark, slightly noisy background and the objects."""
    image = 0.08 + 0.04 * rng.random((IMAGE_SIZE, IMAGE_SIZE, 3))
    for t in things:
        side = SIZES[t.size]
        offset = (CELL - side) // 2  # centred in its cell
        y, x = t.row * CELL + offset, t.col * CELL + offset
        tint = np.array(COLOURS[t.colour]) * rng.uniform(0.8, 1.0)
        patch = image[y : y + side, x : x + side]
        patch[MASKS[(t.shape, t.size)]] = tint
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def seen_cell(row: int, col: int) -> bool:
    """The cells where a held-out type may stand in training, validation and ``test_seen``
    images: the light squares of a chessboard, ``(row + col)`` even. In ``test_heldout`` images
    it stands only on the dark ones."""
    return (row + col) % 2 == 0


def random_scene(rng: np.random.Generator, heldout: bool = False) -> list[Thing]:
    """2–4 types, 3–7 objects (at most three of a type, every chosen type at least once), in
    distinct cells. Every object of a ``HELD_OUT`` type stands on a :func:`seen_cell` unless
    ``heldout``, and then on a dark cell; with ``heldout`` the first type is a held-out one."""
    n_types = int(rng.integers(2, 5))
    if heldout:
        first = sorted(HELD_OUT)[rng.integers(len(HELD_OUT))]
        others = [t for t in TYPES if t != first]
        kinds = [first] + [others[i] for i in rng.choice(len(others), size=n_types - 1, replace=False)]
    else:
        kinds = [TYPES[i] for i in rng.choice(len(TYPES), size=n_types, replace=False)]
    n = int(rng.integers(max(3, n_types), min(7, 3 * n_types) + 1))
    counts = [1] * n_types
    while sum(counts) < n:
        i = int(rng.integers(n_types))
        if counts[i] < 3:
            counts[i] += 1
    cells = [int(c) for c in rng.permutation(GRID * GRID)]
    allowed = [c for c in cells if seen_cell(c // GRID, c % GRID) != heldout]  # cells of the held-out types
    things = []
    for kind, count in zip(kinds, counts):
        for _ in range(count):
            pool = allowed if kind in HELD_OUT else cells
            cell = pool[0]
            cells.remove(cell)
            if cell in allowed:
                allowed.remove(cell)
            size = "grande" if rng.random() < 0.5 else "pequeño"
            things.append(Thing(kind[0], kind[1], size, cell // GRID, cell % GRID))
    return things


# --- answering -------------------------------------------------------------------------------
def count(things: Sequence[Thing], kind: tuple[str, str]) -> int:
    return sum(t.type == kind for t in things)


def unique(things: Sequence[Thing], kind: tuple[str, str]) -> Thing:
    (found,) = [t for t in things if t.type == kind]
    return found


def answer(things: Sequence[Thing], kind: str, a: tuple[str, str], b: tuple[str, str] | None = None) -> str:
    """The answer of a question of ``kind`` about types ``a`` (and ``b``) in a scene."""
    yes = {True: "sí", False: "no"}
    if kind == "existencia":
        return yes[count(things, a) > 0]
    if kind == "conteo":
        return str(count(things, a))
    if kind == "atributo:tamaño":
        return unique(things, a).size
    if kind == "atributo:lado":
        return "izquierda" if unique(things, a).col < GRID // 2 else "derecha"
    if kind.startswith("relación:"):
        x, y = unique(things, a), unique(things, b)
        relation = kind.split(":")[1]
        return yes[
            {"izquierda": x.col < y.col, "derecha": x.col > y.col, "encima": x.row < y.row, "debajo": x.row > y.row}[
                relation
            ]
        ]
    if kind == "comparación:más":
        return yes[count(things, a) > count(things, b)]
    if kind == "comparación:igual":
        return yes[count(things, a) == count(things, b)]
    if kind == "comparación:tamaño":
        return yes[unique(things, a).size == unique(things, b).size]
    raise ValueError(f"tipo de pregunta desconocido: {kind!r}")


def _allowed(kinds: Sequence[tuple[str, str]], heldout: bool) -> bool:
    """A ``test_heldout`` question names a held-out type; any other may name any type."""
    return any(k in HELD_OUT for k in kinds) if heldout else True


def _candidate(things: list[Thing], kind: str, heldout: bool, rng: np.random.Generator) -> tuple | None:
    """Random types ``(a, b)`` for a question of ``kind`` that the scene can answer, or None."""
    present = sorted({t.type for t in things})
    once = [k for k in present if count(things, k) == 1]
    family = kind.split(":")[0]
    if family in ("existencia", "conteo"):
        pool = present if rng.random() < 0.6 else list(TYPES)
        pool = [k for k in pool if _allowed([k], heldout)]
        return (pool[rng.integers(len(pool))], None) if pool else None
    if kind.startswith("atributo"):
        pool = [k for k in once if _allowed([k], heldout)]
        return (pool[rng.integers(len(pool))], None) if pool else None
    source = once if kind.startswith("relación") or kind == "comparación:tamaño" else list(TYPES)
    if kind in ("comparación:más", "comparación:igual") and rng.random() < 0.6:
        source = present
    pairs = [(a, b) for a in source for b in source if a != b and _allowed([a, b], heldout)]
    return pairs[rng.integers(len(pairs))] if pairs else None


def question_text(kind: str, a: tuple[str, str], b: tuple[str, str] | None, rng: np.random.Generator) -> str:
    options = TEMPLATES[kind]
    template = options[rng.integers(len(options))]
    return template.format(a=singular(a), ap=plural(a), b=singular(b) if b else "", bp=plural(b) if b else "").replace(
        "del el", "del"
    )


def questions_for(
    things: list[Thing], counts: dict[str, dict[str, int]], heldout: bool, rng: np.random.Generator, tries: int = 12
) -> list[tuple[str, str, str, str]]:
    """Up to ``QUOTA[family]`` questions per family for a scene: ``(family, kind, question, answer)``, each
    balanced by rejection against ``counts`` (kind → answer → accepted so far; updated)."""
    out = []
    for family in FAMILIES:
        kinds = KINDS_BY_FAMILY[family]
        asked = 0
        for _ in range(tries * QUOTA[family]):
            if asked == QUOTA[family]:
                break
            kind = kinds[rng.integers(len(kinds))]
            picked = _candidate(things, kind, heldout, rng)
            if picked is None:
                continue
            reply = answer(things, kind, *picked)
            # CLEVR's rejection rule (see the module docstring), over every answer of the kind
            seen = sorted(counts[kind].values())
            if counts[kind][reply] > 1.1 * seen[-2] or counts[kind][reply] > 5 * max(seen[len(seen) // 2], 5):
                continue
            counts[kind][reply] += 1
            out.append((family, kind, question_text(kind, *picked, rng), reply))
            asked += 1
    return out


# --- writing and reading the layout ----------------------------------------------------------
def write_dataset(out_dir: str | Path, scenes: dict[str, int] | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Generate the scenes and questions into ``out_dir`` (assembled beside it, then renamed into
    place, so that concurrent callers never see half a dataset). Same seed → same files."""
    scenes = dict(DEFAULT_SCENES if scenes is None else scenes)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        rng = np.random.default_rng(seed)
        images, records, rows = [], [], []
        for split in SPLITS:
            heldout = split == "test_heldout"
            counts = {k: dict.fromkeys(a, 0) for k, a in KIND_ANSWERS.items()}
            for _ in range(scenes[split]):
                things = random_scene(rng, heldout)
                index = len(images)
                images.append(render(things, rng))
                records.append([t.__dict__ for t in things])
                for family, kind, text, reply in questions_for(things, counts, heldout, rng):
                    rows.append((index, split, family, kind, text, reply))
        np.save(work / "images.npy", np.stack(images))
        (work / "scenes.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        with open(work / "questions.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(QUESTION_COLUMNS)
            writer.writerows(rows)
        try:
            os.replace(work, out_dir)
        except OSError:  # another process finished first: keep theirs
            if not (out_dir / "questions.csv").is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return out_dir


@dataclass
class VQASet:
    """Images ``(n, 24, 24, 3)`` uint8, each image's objects, and the questions as columns."""

    images: np.ndarray
    scenes: list[list[Thing]]
    image: np.ndarray  # per question: row of ``images``
    split: np.ndarray
    family: np.ndarray
    kind: np.ndarray
    question: list[str]
    answer: np.ndarray
    directory: Path | None = None
    vocabulary: Vocabulary = field(default_factory=Vocabulary)

    def select(self, split: str) -> np.ndarray:
        """Indices of the questions of ``split``."""
        if split not in SPLITS:
            raise ValueError(f"partición desconocida {split!r}; usa una de {', '.join(SPLITS)}")
        return np.flatnonzero(self.split == split)

    def sizes(self) -> dict[str, int]:
        return {s: int((self.split == s).sum()) for s in SPLITS}


def read_questions(path: str | Path, n_images: int) -> list[tuple]:
    """The rows of ``questions.csv``, checked; errors name the file and the line."""
    path = Path(path)
    if not path.is_file():
        raise VQADataError(
            f"{path}: no existe (se esperaba questions.csv con la cabecera {','.join(QUESTION_COLUMNS)})"
        )
    with open(path, encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    if not lines or tuple(lines[0]) != QUESTION_COLUMNS:
        found = ",".join(lines[0]) if lines else "un archivo vacío"
        raise VQADataError(f"{path}, línea 1: se esperaba la cabecera {','.join(QUESTION_COLUMNS)!r}, hay {found!r}")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not cells:
            continue
        if len(cells) != len(QUESTION_COLUMNS):
            raise VQADataError(
                f"{path}, línea {number}: se esperaban {len(QUESTION_COLUMNS)} columnas "
                f"({','.join(QUESTION_COLUMNS)}), hay {len(cells)}"
            )
        image, split, family, kind, question, reply = cells
        if not image.isdigit() or int(image) >= n_images:
            raise VQADataError(
                f"{path}, línea {number}: la imagen {image!r} no es una fila de images.npy (0…{n_images - 1})"
            )
        if split not in SPLITS:
            raise VQADataError(f"{path}, línea {number}: partición {split!r} desconocida; usa {', '.join(SPLITS)}")
        if family not in FAMILIES:
            raise VQADataError(f"{path}, línea {number}: familia {family!r} desconocida; usa {', '.join(FAMILIES)}")
        if kind not in KIND_ANSWERS or kind.split(":")[0] != family:
            raise VQADataError(f"{path}, línea {number}: el tipo {kind!r} no es de la familia {family!r}")
        if not question.strip():
            raise VQADataError(f"{path}, línea {number}: la pregunta está vacía")
        if reply not in KIND_ANSWERS[kind]:
            raise VQADataError(
                f"{path}, línea {number}: la respuesta {reply!r} no es posible para {kind!r} "
                f"({', '.join(KIND_ANSWERS[kind])})"
            )
        rows.append((int(image), split, family, kind, question, reply))
    if not rows:
        raise VQADataError(f"{path}: tiene cabecera pero ninguna pregunta")
    return rows


def load_layout(directory: str | Path) -> VQASet:
    """Read a folder in the layout of this module's docstring."""
    directory = Path(directory)
    images_path = directory / "images.npy"
    if not images_path.is_file():
        raise VQADataError(f"{images_path}: no existe (se esperaba un array uint8 de forma (n, 24, 24, 3))")
    try:
        images = np.load(images_path, allow_pickle=False)
    except ValueError as err:
        raise VQADataError(f"{images_path}: no es un archivo .npy legible ({err})") from None
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise VQADataError(
            f"{images_path}: se esperaba uint8 (n, {IMAGE_SIZE}, {IMAGE_SIZE}, 3), hay {images.dtype} {images.shape}"
        )
    scenes_path = directory / "scenes.json"
    try:
        records = json.loads(scenes_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VQADataError(f"{scenes_path}: no existe (los objetos de cada imagen)") from None
    except json.JSONDecodeError as err:
        raise VQADataError(f"{scenes_path}, línea {err.lineno}: JSON no válido ({err.msg})") from None
    if len(records) != len(images):
        raise VQADataError(f"{scenes_path}: describe {len(records)} escenas y images.npy tiene {len(images)}")
    scenes = [[Thing(**t) for t in objects] for objects in records]
    rows = read_questions(directory / "questions.csv", len(images))
    columns = list(zip(*rows))
    data = VQASet(
        images=images,
        scenes=scenes,
        image=np.array(columns[0]),
        split=np.array(columns[1]),
        family=np.array(columns[2]),
        kind=np.array(columns[3]),
        question=list(columns[4]),
        answer=np.array(columns[5]),
        directory=directory,
    )
    data.vocabulary = Vocabulary.build([data.question[i] for i in data.select("train")])
    return data


def default_dir() -> Path:
    """The cache folder of the generated set (versioned by generator and seed)."""
    return cache_dir("vqa", f"escenas-v{GENERATOR_VERSION}-{DEFAULT_SEED}")


def load_vqa(directory: str | Path | None = None) -> VQASet:
    """The VQA scenes: ``directory`` if given, else the generated set (written on first use)."""
    if directory is None:
        directory = default_dir()
        if not (directory / "questions.csv").is_file():
            write_dataset(directory)
    return load_layout(directory)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.out_dir.exists():
        raise SystemExit(f"{args.out_dir} already exists; choose a new folder")
    write_dataset(args.out_dir, seed=args.seed)
    print(f"VQA scenes written to {args.out_dir}")


if __name__ == "__main__":
    main()
