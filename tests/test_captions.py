"""The image–caption generator and the Flickr8k-layout loader (good data and malformed data)."""

import numpy as np
import pytest
from PIL import Image

from course_utils.datasets import captions_generator as gen
from course_utils.datasets.captions import (
    CaptionsError,
    Vocabulary,
    captions_dir,
    load_flickr_layout,
    read_caption_file,
)
from course_utils.retrieval import relevance_matrix


def _write_flickr(folder, rows, images=("a.jpg", "b.jpg"), header="image,caption"):
    (folder / "Images").mkdir(parents=True)
    for i, name in enumerate(images):
        Image.fromarray(np.full((48, 60, 3), 40 * i, dtype=np.uint8)).save(folder / "Images" / name)
    (folder / "captions.txt").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def test_generator_is_deterministic_and_writes_the_flickr_layout(tmp_path):
    first = gen.write_dataset(tmp_path / "one", n_images=12, seed=3)
    second = gen.write_dataset(tmp_path / "two", n_images=12, seed=3)
    other = gen.write_dataset(tmp_path / "three", n_images=12, seed=4)
    text = (first / "captions.txt").read_text(encoding="utf-8")
    assert text == (second / "captions.txt").read_text(encoding="utf-8")
    assert text != (other / "captions.txt").read_text(encoding="utf-8")
    a = load_flickr_layout(first)
    b = load_flickr_layout(second)
    assert np.array_equal(a.images, b.images)
    assert a.images.shape == (12, 32, 32, 3) and a.images.dtype == np.uint8
    assert all(len(c) == gen.CAPTIONS_PER_IMAGE and len(set(c)) == gen.CAPTIONS_PER_IMAGE for c in a.captions)
    assert not list(tmp_path.glob(".*")), "no temporary folder may be left behind"


def test_spanish_captions_agree_in_gender_and_describe_the_scene():
    cross = gen.Scene(gen.Thing("cruz", "rojo", "pequeño"), position="izquierda")
    captions = gen.all_captions(cross)
    assert captions[0] == "una cruz roja pequeña a la izquierda"
    assert "una pequeña cruz roja en la parte izquierda" in captions
    assert "hay una cruz pequeña de color rojo a la izquierda" in captions
    pair = gen.Scene(gen.Thing("círculo", "azul"), relation="encima", second=gen.Thing("rombo", "amarillo"))
    assert gen.all_captions(pair)[:2] == [
        "un círculo azul encima de un rombo amarillo",
        "un rombo amarillo debajo de un círculo azul",
    ]
    with pytest.raises(ValueError):
        gen.Scene(gen.Thing("cruz", "rojo"), position="izquierda", relation="encima", second=gen.Thing("rombo", "azul"))


def test_rendered_scene_puts_the_colour_where_the_caption_says():
    rng = np.random.default_rng(0)
    left = gen.render_scene(gen.Scene(gen.Thing("cuadrado", "rojo", "grande"), position="izquierda"), rng)
    red = (left[..., 0] > 150) & (left[..., 1] < 100) & (left[..., 2] < 100)
    columns = np.nonzero(red)[1]
    assert red.sum() > 50 and columns.mean() < 12


def test_zero_shot_set_has_fresh_images_of_five_fixed_scenes():
    images, captions, correct = gen.zero_shot_set(per_scene=3, seed=1)
    assert images.shape == (15, 32, 32, 3) and len(captions) == 5
    assert np.bincount(correct).tolist() == [3] * 5
    assert captions[0] != captions[1] and set(captions[0].split()) == set(captions[1].split()), (
        "the first two captions must use the same words with the relation swapped"
    )


def test_loader_reads_a_real_flickr_layout_fixture(tmp_path):
    folder = _write_flickr(
        tmp_path / "flickr",
        [
            "a.jpg,A dog runs , in the grass .",
            'a.jpg,"A dog, brown, running"',
            "b.jpg,Two children play",
        ],
    )
    data = load_flickr_layout(folder, image_size=32)
    assert data.names == ["a.jpg", "b.jpg"]
    assert data.captions[0] == ["A dog runs , in the grass .", "A dog, brown, running"]
    assert data.images.shape == (2, 32, 32, 3)
    image_index, texts = data.pairs()
    assert image_index.tolist() == [0, 0, 1] and texts[2] == "Two children play"
    assert captions_dir(folder) == folder


@pytest.mark.parametrize(
    "rows, header, message",
    [
        (["a.jpg,ok"], "filename,text", "se esperaba la cabecera"),
        (["a.jpg ok without comma"], "image,caption", "línea 2: se esperaba 'image,caption'"),
        (["a.jpg,   "], "image,caption", "línea 2: la descripción de 'a.jpg' está vacía"),
        (["../secret.jpg,hola"], "image,caption", "debe ser el nombre de un archivo dentro de Images/"),
        ([], "image,caption", "ninguna descripción"),
        (["c.jpg,una imagen que no existe"], "image,caption", "falta el archivo de imagen"),
    ],
)
def test_malformed_captions_give_a_clear_error(tmp_path, rows, header, message):
    folder = _write_flickr(tmp_path / "bad", rows, header=header)
    with pytest.raises(CaptionsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_flickr_layout(folder)


def test_unreadable_inputs_give_a_clear_error(tmp_path):
    with pytest.raises(CaptionsError, match="no hay carpeta Images/"):
        load_flickr_layout(tmp_path)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("image,caption\na.jpg,canción\n".encode("latin-1"))
    with pytest.raises(CaptionsError, match="no es UTF-8 válido"):
        read_caption_file(bad)
    later = tmp_path / "latin1_line4.txt"
    later.write_bytes("image,caption\na.jpg,one\nb.jpg,two\nc.jpg,canción\n".encode("latin-1"))
    with pytest.raises(CaptionsError, match=r"latin1_line4\.txt, línea 4: no es UTF-8 válido"):
        read_caption_file(later)
    folder = _write_flickr(tmp_path / "broken", ["a.jpg,fine", "b.jpg,broken"])
    (folder / "Images" / "b.jpg").write_bytes(b"not an image at all")
    with pytest.raises(CaptionsError, match="no es una imagen legible"):
        load_flickr_layout(folder)


def test_split_is_by_image_and_vocabulary_encodes_with_mask(tmp_path):
    data = load_flickr_layout(gen.write_dataset(tmp_path / "d", n_images=30, seed=0))
    train, val, test = data.split((0.6, 0.2, 0.2), seed=1)
    names = [set(s.names) for s in (train, val, test)]
    assert sum(map(len, names)) == 30 and not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    vocab = Vocabulary.build([c for caps in train.captions for c in caps])
    ids, mask = vocab.encode(["un círculo rojo", "palabra_inexistente un"], max_len=5)
    assert ids.shape == (2, 5) and mask.sum(1).tolist() == [3, 2]
    assert ids[1, 0] == Vocabulary.UNK and (ids[~mask] == Vocabulary.PAD).all()
    assert vocab.decode(ids[0]) == ["un", "círculo", "rojo"]


def test_relevance_counts_identical_scenes_as_correct():
    captions = [["un círculo rojo", "círculo rojo"], ["una cruz azul"], ["un círculo rojo", "otro texto"]]
    rel = relevance_matrix(captions)
    assert rel.shape == (3, 5)
    assert rel[0].tolist() == [True, True, False, True, True]  # image 2 shows the same scene
    assert rel[1].tolist() == [False, False, True, False, False]


def test_composition_split_holds_out_combinations_not_words():
    T, S = gen.Thing, gen.Scene
    assert gen.composition_split(S(T("triángulo", "azul", "grande"), position="centro")) == "test"
    assert gen.composition_split(S(T("triángulo", "rojo", "grande"), position="centro")) == "train"
    assert gen.composition_split(S(T("cuadrado", "rojo"), position="abajo")) == "val"
    beside = S(T("cuadrado", "morado"), relation="izquierda", second=T("círculo", "azul"))
    above = S(T("cuadrado", "morado"), relation="encima", second=T("círculo", "azul"))
    assert gen.composition_split(beside) == "test" and gen.composition_split(above) == "train"
    assert [gen.composition_split(s) for s in gen.ZERO_SHOT_SCENES] == ["test"] * len(gen.ZERO_SHOT_SCENES)
    rng = np.random.default_rng(0)
    kept = [gen.random_scene(rng, allowed=lambda s: gen.composition_split(s) == "train") for _ in range(200)]
    assert all(gen.composition_split(s) == "train" for s in kept)
    with pytest.raises(ValueError, match="rejected"):
        gen.random_scene(rng, allowed=lambda s: False)


def test_generated_split_never_shows_a_test_scene_in_training(tmp_path):
    data = load_flickr_layout(gen.write_dataset(tmp_path / "d", n_images=400, seed=5))
    assert data.split_labels is not None and set(data.split_labels) == {"train", "val", "test"}
    train, val, test = data.split(seed=0)
    assert len(train) + len(val) + len(test) == 400
    train_texts = {c for caps in train.captions for c in caps}
    assert not any(train_texts & set(caps) for caps in test.captions + val.captions)
    # the held-out words themselves do occur in training: only the combination is new
    words = {w for t in train_texts for w in t.split()}
    assert {"triángulo", "azul", "cruz", "verde", "círculo", "naranja", "cuadrado", "izquierda"} <= words
    assert not any("triángulo azul" in t or "cruz verde" in t for t in train_texts)
    # a folder without splits.csv (the real Flickr8k) falls back to the random split by image
    (tmp_path / "d" / gen.SPLIT_FILE).unlink()
    assert load_flickr_layout(tmp_path / "d").split_labels is None


def test_bad_split_file_names_the_line(tmp_path):
    folder = gen.write_dataset(tmp_path / "d", n_images=5, seed=1)
    lines = (folder / gen.SPLIT_FILE).read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].split(",")[0] + ",entrenamiento"
    (folder / gen.SPLIT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CaptionsError, match=r"splits\.csv, línea 4: la partición debe ser train, val o test"):
        load_flickr_layout(folder)


def test_split_file_that_is_not_utf8_names_the_file_and_line(tmp_path):
    folder = gen.write_dataset(tmp_path / "d", n_images=5, seed=1)
    lines = (folder / gen.SPLIT_FILE).read_text(encoding="utf-8").splitlines()
    lines[2] = "escena_ñ.png,train"
    (folder / gen.SPLIT_FILE).write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    with pytest.raises(CaptionsError, match=r"splits\.csv, línea 3: no es UTF-8 válido"):
        load_flickr_layout(folder)
