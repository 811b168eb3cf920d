"""The aggressiveness corpus in the MEX-A3T layout: one tweet per line in ``<prefix>train.txt``
and a parallel file of 0/1 labels, ``<prefix>train_labels.txt`` (same for ``val``); the 2020
edition uses the prefix ``mex20_`` and adds an unlabelled ``mex20_test_full.txt``. A labelled
``<prefix>test.txt`` + ``<prefix>test_labels.txt`` is read when present (the generated corpus
has one, ``*_clean_labels.txt``: its labels before the simulated annotator noise, and
``*_kinds.txt``: each tweet's kind).

Where the files are looked for, in order:

1. the ``directory`` argument;
2. ``$COURSE_AGGRESSION_DIR`` — when set, it must hold a corpus: a missing or empty folder is
   an error naming it, never a silent fall-back to the generated corpus;
3. ``data/aggression/`` — where an instructor puts the real corpus (git ignores it there);
4. ``data/aggression/synthetic/`` — the generated stand-in shipped with the course
   (see :mod:`course_utils.datasets.aggression_generator`).

Malformed files raise :class:`CorpusError` naming the file and the line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import data_dir

ENV_DIR = "COURSE_AGGRESSION_DIR"
PREFIXES = ("mex20_", "mex_")
SYNTHETIC_SUBDIR = "synthetic"


class CorpusError(ValueError):
    """A corpus file is missing, empty, badly encoded or inconsistent with its labels."""


@dataclass
class Split:
    """Texts of one split, with labels (``None`` for an unlabelled test split)."""

    texts: list[str]
    labels: np.ndarray | None
    source: Path

    def __len__(self) -> int:
        return len(self.texts)


def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 file, with a clear error for a missing, empty or mis-encoded file."""
    if not path.is_file():
        raise CorpusError(f"{path}: no existe el archivo")
    raw = path.read_bytes()
    if not raw.strip():
        raise CorpusError(f"{path}: el archivo está vacío")
    lines = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as err:
            raise CorpusError(
                f"{path}, línea {number}: no es UTF-8 válido ({err.reason} en el byte {err.start}); "
                "guarda el archivo como UTF-8 (por ejemplo, iconv -f latin1 -t utf-8)"
            ) from None
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return lines


def _read_labels(path: Path) -> np.ndarray:
    values = []
    for number, line in enumerate(_read_lines(path), start=1):
        token = line.strip()
        if token not in ("0", "1"):
            raise CorpusError(f"{path}, línea {number}: la etiqueta debe ser 0 o 1, no {token!r}")
        values.append(int(token))
    return np.asarray(values, dtype=np.int64)


def read_split(text_file: Path, label_file: Path | None) -> Split:
    """Read one split; texts and labels must have the same number of lines."""
    texts = _read_lines(text_file)
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            raise CorpusError(f"{text_file}, línea {number}: tuit vacío (textos y etiquetas quedarían desalineados)")
    labels = None
    if label_file is not None:
        labels = _read_labels(label_file)
        if len(labels) != len(texts):
            raise CorpusError(
                f"{text_file} tiene {len(texts)} líneas pero {label_file} tiene {len(labels)}: "
                f"cada tuit necesita exactamente una etiqueta (primera línea sin pareja: {min(len(texts), len(labels)) + 1})"
            )
    return Split(texts, labels, text_file)


def _prefix_in(directory: Path) -> str | None:
    for prefix in PREFIXES:
        if (directory / f"{prefix}train.txt").is_file():
            return prefix
    return None


def corpus_dir(directory: str | Path | None = None) -> tuple[Path, str]:
    """The folder holding the corpus and its file prefix, following the search order above."""
    if directory is None and os.environ.get(ENV_DIR):
        directory = Path(os.environ[ENV_DIR])
        if not directory.is_dir():
            raise CorpusError(
                f"${ENV_DIR} apunta a {directory}, que no es una carpeta: "
                "corrige la variable o bórrala para usar el corpus generado"
            )
        if _prefix_in(directory) is None:
            raise CorpusError(
                f"${ENV_DIR} apunta a {directory}, que no contiene ningún corpus "
                "(se esperaba mex20_train.txt o mex_train.txt y sus archivos _labels.txt)"
            )
    if directory is not None:
        candidates = [Path(directory)]
    else:
        candidates = [data_dir("aggression"), data_dir("aggression", SYNTHETIC_SUBDIR)]
    for folder in candidates:
        prefix = _prefix_in(folder)
        if prefix is not None:
            return folder, prefix
    looked = ", ".join(str(c) for c in candidates)
    raise CorpusError(f"no se encontró ningún corpus: se buscó mex20_train.txt o mex_train.txt en {looked}")


def is_synthetic(folder: Path) -> bool:
    """True for the generated stand-in shipped with the course."""
    return folder.name == SYNTHETIC_SUBDIR


def load_aggression(directory: str | Path | None = None) -> dict[str, Split]:
    """Load ``train`` and ``val``, and ``test`` when present: labelled (``<prefix>test.txt`` with
    its labels) or else unlabelled (``<prefix>test_full.txt``, labels ``None``)."""
    folder, prefix = corpus_dir(directory)
    splits = {
        name: read_split(folder / f"{prefix}{name}.txt", folder / f"{prefix}{name}_labels.txt")
        for name in ("train", "val")
    }
    labelled_test = folder / f"{prefix}test_labels.txt"
    if labelled_test.is_file():
        splits["test"] = read_split(folder / f"{prefix}test.txt", labelled_test)
    elif (folder / f"{prefix}test_full.txt").is_file():
        splits["test"] = read_split(folder / f"{prefix}test_full.txt", None)
    return splits


def clean_labels(split: Split) -> np.ndarray | None:
    """The labels of a generated split before its simulated annotator noise, or ``None`` (a real
    corpus has none). They give the ceiling that label noise puts on any model's score."""
    path = split.source.with_name(split.source.stem + "_clean_labels.txt")
    if not path.is_file():
        return None
    labels = _read_labels(path)
    if len(labels) != len(split):
        raise CorpusError(f"{path} tiene {len(labels)} etiquetas para los {len(split)} tuits de {split.source}")
    return labels


def tweet_kinds(split: Split) -> list[str] | None:
    """The kind of each tweet of a generated held-out split (``insulto``, ``burla amistosa``, …;
    see :data:`course_utils.datasets.aggression_generator.KINDS`), or ``None`` (a real corpus has
    none). They let a notebook show which kinds of tweet each model gets wrong."""
    path = split.source.with_name(split.source.stem + "_kinds.txt")
    if not path.is_file():
        return None
    kinds = [line.strip() for line in _read_lines(path)]
    if len(kinds) != len(split):
        raise CorpusError(f"{path} tiene {len(kinds)} tipos para los {len(split)} tuits de {split.source}")
    return kinds
