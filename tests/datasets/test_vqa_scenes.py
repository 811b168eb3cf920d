"""The VQA scene generator and loader (course_utils/datasets/vqa_scenes.py): determinism, the
balancing rule, the held-out compositions, answers that agree with the scenes, and loader errors
in Spanish that name the file and the line."""

import re

import numpy as np
import pytest

from course_utils.datasets import vqa_scenes as vs

SMALL = {"train": 300, "val": 60, "test_seen": 100, "test_heldout": 100}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return vs.write_dataset(tmp_path_factory.mktemp("vqa") / "escenas", scenes=SMALL, seed=5)


@pytest.fixture(scope="module")
def data(folder):
    return vs.load_layout(folder)


def test_same_seed_same_files(folder, tmp_path):
    again = vs.write_dataset(tmp_path / "otra", scenes=SMALL, seed=5)
    for name in ("images.npy", "scenes.json", "questions.csv"):
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    other = vs.write_dataset(tmp_path / "distinta", scenes=SMALL, seed=6)
    assert (folder / "questions.csv").read_bytes() != (other / "questions.csv").read_bytes()


def test_every_split_and_family_is_present(data):
    sizes = data.sizes()
    assert all(sizes[s] > 0 for s in vs.SPLITS), sizes
    for split in vs.SPLITS:
        assert set(data.family[data.select(split)]) == set(vs.FAMILIES), split


def _types_named(question: str) -> set:
    words = question.lower()
    named = set()
    for shape in vs.SHAPES:
        for colour in vs.COLOURS:
            if vs.singular((shape, colour)) in words or vs.plural((shape, colour)) in words:
                named.add((shape, colour))
    return named


def test_held_out_compositions_are_never_seen_in_training_or_validation(data):
    """A held-out type stands only on the light cells in train / val / test_seen images and only on
    the dark ones in test_heldout images (each of which has one); it is asked about in training."""
    for split in vs.SPLITS:
        images = set(data.image[data.select(split)].tolist())
        placed = [(t, i) for i in images for t in data.scenes[i] if t.type in vs.HELD_OUT]
        assert placed, split
        assert all(vs.seen_cell(t.row, t.col) == (split != "test_heldout") for t, _ in placed), split
        if split == "test_heldout":
            assert {i for _, i in placed} == images
    named = [_types_named(data.question[i]) for i in range(len(data.question))]
    assert all(named), "a question names no type"
    train = data.split == "train"
    assert {t for n, in_train in zip(named, train) if in_train for t in n} == set(vs.TYPES)
    assert all(n & vs.HELD_OUT for n, split in zip(named, data.split) if split == "test_heldout")


def _recomputed(question: str, kind: str, things) -> str:
    named = []
    for match in re.finditer(r"(cuadrados?|círculos?|triángulos?) (rojos?|verdes?|azul(?:es)?|amarillos?)", question):
        shape = next(s for s in vs.SHAPES if match.group(1).startswith(s) or vs.SHAPE_PLURALS[s] == match.group(1))
        colour = next(c for c in vs.COLOURS if match.group(2) in (c, vs.COLOUR_PLURALS[c]))
        named.append((shape, colour))
    return vs.answer(things, kind, *named[:2]) if len(named) > 1 else vs.answer(things, kind, named[0])


def test_answers_agree_with_the_scenes(data):
    for q in range(0, len(data.question), 7):
        things = data.scenes[data.image[q]]
        assert _recomputed(data.question[q], data.kind[q], things) == data.answer[q], data.question[q]


def test_answers_are_balanced_by_the_rejection_rule(data):
    """No answer of a kind exceeds 1.1 × the second most common by more than the one question that
    the rule lets through (it tests the count before adding)."""
    for split in vs.SPLITS:
        for kind, answers in vs.KIND_ANSWERS.items():
            chosen = data.answer[(data.split == split) & (data.kind == kind)]
            counts = sorted(int((chosen == a).sum()) for a in answers)
            assert counts[-1] <= 1.1 * counts[-2] + 1, (split, kind, counts)


def test_images_match_the_scenes(data):
    image, things = data.images[0].astype(float) / 255, data.scenes[0]
    for t in things:
        cell = image[t.row * vs.CELL : (t.row + 1) * vs.CELL, t.col * vs.CELL : (t.col + 1) * vs.CELL]
        bright = cell.max(axis=2) > 0.5
        assert bright.sum() == vs.MASKS[(t.shape, t.size)].sum(), t
        colour = cell[bright].mean(axis=0)
        assert np.argmax(colour) == int(np.argmax(vs.COLOURS[t.colour])), t


def _copy(folder, tmp_path):
    target = tmp_path / "copia"
    target.mkdir()
    for name in ("images.npy", "scenes.json", "questions.csv"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda lines: ["imagen,pregunta"] + lines[1:], ("línea 1", "cabecera")),
        (lambda lines: lines[:3] + [lines[3] + ",extra"] + lines[4:], ("línea 4", "columnas")),
        (
            lambda lines: (
                lines[:2]
                + [lines[2].replace("sí", "quizá") if "sí" in lines[2] else "0,train,existencia,existencia,¿Hay?,quizá"]
                + lines[3:]
            ),
            ("línea 3", "respuesta"),
        ),
        (lambda lines: lines[:4] + ["999999,train,conteo,conteo,¿Cuántos?,1"] + lines[4:], ("línea 5", "imagen")),
        (lambda lines: lines[:5] + ["0,entreno,conteo,conteo,¿Cuántos?,1"] + lines[5:], ("línea 6", "partición")),
        (lambda lines: lines[:6] + ["0,train,conteo,existencia,¿Cuántos?,1"] + lines[6:], ("línea 7", "familia")),
    ],
)
def test_loader_errors_name_file_and_line_in_spanish(folder, tmp_path, change, words):
    target = _copy(folder, tmp_path)
    path = target / "questions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    with pytest.raises(vs.VQADataError) as error:
        vs.load_layout(target)
    message = str(error.value)
    assert "questions.csv" in message and all(w in message for w in words), message


def test_loader_errors_for_missing_and_malformed_files(folder, tmp_path):
    target = _copy(folder, tmp_path)
    (target / "scenes.json").write_text("[\n  {\n", encoding="utf-8")
    with pytest.raises(vs.VQADataError, match=r"scenes\.json, línea \d+: JSON no válido"):
        vs.load_layout(target)
    (target / "images.npy").unlink()
    with pytest.raises(vs.VQADataError, match=r"images\.npy: no existe"):
        vs.load_layout(target)
