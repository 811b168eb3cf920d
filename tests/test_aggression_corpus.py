"""The shipped synthetic aggressiveness corpus, its loader, and clear errors on bad files."""

import numpy as np
import pytest

from course_utils.datasets import aggression
from course_utils.datasets.aggression import (
    CorpusError,
    clean_labels,
    corpus_dir,
    is_synthetic,
    load_aggression,
    read_split,
    tweet_kinds,
)
from course_utils.datasets.aggression_generator import (
    BANTER,
    FILLERS,
    KINDS,
    background_sentences,
    examples,
    word_forms,
    write_corpus,
)
from course_utils.features import tokenize
from support import ROOT

SHIPPED = ROOT / "data" / "aggression" / "synthetic"


def test_shipped_corpus_is_reproducible_from_its_generator(tmp_path):
    digests = write_corpus(tmp_path)
    assert sorted(digests) == sorted(p.name for p in SHIPPED.iterdir() if p.suffix == ".txt")
    for name in digests:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), f"{name} differs from its generator"


def test_loader_finds_the_synthetic_corpus_by_default(monkeypatch):
    monkeypatch.delenv(aggression.ENV_DIR, raising=False)
    folder, prefix = corpus_dir()
    if not is_synthetic(folder):
        pytest.skip("a real corpus is installed in data/aggression/")
    assert prefix == "mex20_"
    splits = load_aggression()
    assert set(splits) == {"train", "val", "test"}


def test_corpus_has_the_shape_of_mex_a3t():
    splits = load_aggression(SHIPPED)
    train, val, test = splits["train"], splits["val"], splits["test"]
    assert (len(train), len(val), len(test)) == (3000, 600, 600)
    for split in (train, val, test):
        assert 0.25 < split.labels.mean() < 0.33
    words = np.mean([len(t.split()) for t in train.texts])
    assert 10 < words < 18
    joined = "\n".join(train.texts)
    for phenomenon in ("@USUARIO", "#", "😂", "jaja", " q ", "pinche"):
        assert phenomenon in joined, phenomenon


def test_label_noise_is_about_ten_percent_and_the_clean_labels_match_their_split():
    val = load_aggression(SHIPPED)["val"]
    clean = clean_labels(val)
    assert clean is not None and len(clean) == len(val)
    assert 0.06 < np.mean(clean != val.labels) < 0.14
    assert clean_labels(load_aggression(SHIPPED)["train"]) is None  # only the held-out splits have them


def test_held_out_splits_ship_each_tweets_kind_and_it_agrees_with_the_clean_label():
    splits = load_aggression(SHIPPED)
    for name in ("val", "test"):
        kinds, clean = tweet_kinds(splits[name]), clean_labels(splits[name])
        assert kinds is not None and len(kinds) == len(splits[name])
        assert set(kinds) == set(KINDS)  # every kind occurs in each held-out split
        aggressive = np.array([kind in ("insulto", "amenaza", "desprecio") for kind in kinds])
        assert np.array_equal(aggressive, clean == 1)  # the kind decides the clean label
    assert tweet_kinds(splits["train"]) is None  # only the held-out splits have them


def _filler_forms(part):
    return {form for kind, lists in FILLERS.items() for word in lists[part] for form in word_forms(word, kind)}


def test_held_out_fillers_never_appear_in_training_and_do_in_validation():
    splits = load_aggression(SHIPPED)
    held_out = {f.lower() for f in _filler_forms(1)}
    train_tokens = {t for text in splits["train"].texts for t in tokenize(text)}
    val_tokens = {t for text in splits["val"].texts for t in tokenize(text)}
    assert not held_out & train_tokens, sorted(held_out & train_tokens)[:5]
    assert len(held_out & val_tokens) > 0.5 * len(held_out)
    assert not {f.lower() for f in _filler_forms(0)} & val_tokens - {"grande"}


def test_general_language_corpus_knows_every_filler_and_no_chat_marker():
    tokens = {t for sentence in background_sentences() for t in tokenize(sentence)}
    forms = {f.lower() for f in _filler_forms(0) | _filler_forms(1)}
    assert len(forms - tokens) < 0.02 * len(forms), sorted(forms - tokens)[:10]
    assert not {tokenize(m)[0] for m in BANTER} & tokens


def test_examples_cover_every_kind_and_are_reproducible():
    first = examples(2, seed=3)
    assert first == examples(2, seed=3)
    assert all(len(tweets) == 2 for tweets in first.values())
    assert any(m in t for t in first["burla amistosa"] for m in BANTER)


def test_loader_reads_the_2018_prefix_and_an_unlabelled_test_split(tmp_path, monkeypatch):
    for split in ("train", "val"):
        (tmp_path / f"mex_{split}.txt").write_text("hola @USUARIO\nqué onda\n", encoding="utf-8")
        (tmp_path / f"mex_{split}_labels.txt").write_text("0\n1\n", encoding="utf-8")
    (tmp_path / "mex_test_full.txt").write_text("uno\ndos\ntres\n", encoding="utf-8")
    monkeypatch.setenv(aggression.ENV_DIR, str(tmp_path))
    splits = load_aggression()
    assert splits["train"].texts == ["hola @USUARIO", "qué onda"]
    assert list(splits["val"].labels) == [0, 1]
    assert len(splits["test"]) == 3 and splits["test"].labels is None


def _write(tmp_path, texts: bytes, labels: bytes):
    texts_file, labels_file = tmp_path / "mex_train.txt", tmp_path / "mex_train_labels.txt"
    texts_file.write_bytes(texts)
    labels_file.write_bytes(labels)
    return texts_file, labels_file


@pytest.mark.parametrize(
    "texts,labels,message",
    [
        (
            b"a\nb\nc\n",
            b"0\n1\n",
            r"mex_train.txt tiene 3 líneas pero .*mex_train_labels.txt tiene 2.*primera línea sin pareja: 3",
        ),
        (b"a\nb\n", b"0\n2\n", r"mex_train_labels.txt, línea 2: la etiqueta debe ser 0 o 1, no '2'"),
        (b"a\nb\n", b"0\nsi\n", r"línea 2: la etiqueta debe ser 0 o 1"),
        (b"", b"0\n", r"mex_train.txt: el archivo está vacío"),
        (b"a\n\n", b"0\n1\n", r"mex_train.txt, línea 2: tuit vacío"),
        ("bien\nagresi\u00f3n\n".encode("latin-1"), b"0\n1\n", r"mex_train.txt, línea 2: no es UTF-8 válido"),
    ],
)
def test_malformed_files_give_an_error_naming_file_and_line(tmp_path, texts, labels, message):
    texts_file, labels_file = _write(tmp_path, texts, labels)
    with pytest.raises(CorpusError, match=message):
        read_split(texts_file, labels_file)


def test_missing_corpus_lists_where_it_looked(tmp_path):
    with pytest.raises(CorpusError, match="no se encontró ningún corpus"):
        load_aggression(tmp_path)


@pytest.mark.parametrize("make", ["missing", "empty", "wrong files"])
def test_variable_pointing_at_no_corpus_is_an_error_naming_it(tmp_path, monkeypatch, make):
    folder = tmp_path / "corpus"
    if make != "missing":
        folder.mkdir()
    if make == "wrong files":
        (folder / "train.csv").write_text("text,label\n", encoding="utf-8")
    monkeypatch.setenv(aggression.ENV_DIR, str(folder))
    with pytest.raises(CorpusError, match=rf"COURSE_AGGRESSION_DIR apunta a {folder}"):
        load_aggression()


def test_windows_line_endings_are_accepted(tmp_path):
    texts_file, labels_file = _write(tmp_path, b"uno\r\ndos\r\n", b"0\r\n1\r\n")
    split = read_split(texts_file, labels_file)
    assert split.texts == ["uno", "dos"] and list(split.labels) == [0, 1]


AGGRESSIVE = [
    "@USUARIO eres un idiota, nadie te soporta",
    "@USUARIO cállate ya, das pena",
    "@USUARIO te voy a partir la cara a la salida",
    "qué asco me das @USUARIO, lárgate",
    "@USUARIO pinche payaso, mejor ni abras la boca",
    "@USUARIO no sirves para nada, inútil",
]
FRIENDLY = [
    "qué calor hace hoy en la CDMX",
    "@USUARIO ¿vamos por unos tacos el sábado?",
    "jajaja @USUARIO eres un menso, te quiero",
    "mañana hay examen y no he estudiado nada",
    "@USUARIO felicidades, te lo mereces",
    "qué pinche tráfico, llevo dos horas en el metro",
    "ya llegué a Puebla, todo bien por aquí",
    "@USUARIO qué buena estuvo la película",
]
ENDINGS = ["", " neta", " 😂", " #Lunes", " en fin", " ya me voy a dormir", " uff", " 🙄", " jaja", " #CDMX"]


def _small_real_corpus(folder, n=80):
    """``n`` hand-written tweets in the MEX-A3T 2020 layout (train / val and an unlabelled test),
    about a third aggressive: what an instructor with a small real sample would have."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        label = int(i % 3 == 0)
        base = (AGGRESSIVE if label else FRIENDLY)[int(rng.integers(0, 6 if label else 8))]
        rows.append((base + ENDINGS[i % len(ENDINGS)] + f" {i}", label))
    order = rng.permutation(n)
    rows = [rows[i] for i in order]
    folder.mkdir(parents=True, exist_ok=True)
    for split, part in (("train", rows[:60]), ("val", rows[60:])):
        (folder / f"mex20_{split}.txt").write_text("".join(f"{t}\n" for t, _ in part), encoding="utf-8")
        (folder / f"mex20_{split}_labels.txt").write_text("".join(f"{y}\n" for _, y in part), encoding="utf-8")
    (folder / "mex20_test_full.txt").write_text("uno más\notro tuit\n", encoding="utf-8")
    return folder


def test_small_real_layout_corpus_loads_without_clean_labels(tmp_path):
    splits = load_aggression(_small_real_corpus(tmp_path / "real"))
    assert (len(splits["train"]), len(splits["val"]), splits["test"].labels) == (60, 20, None)
    assert clean_labels(splits["val"]) is None and not is_synthetic(tmp_path / "real")
    assert tweet_kinds(splits["val"]) is None


@pytest.mark.notebook
def test_chapter_04_runs_in_fast_mode_on_a_small_real_layout_corpus(tmp_path):
    """An instructor's ~80 real tweets: the whole chapter runs (graded cells included) in FAST mode."""
    from course_utils.tools.environment import patched_environ
    from course_utils.tools.runner import run_notebook

    folder = _small_real_corpus(tmp_path / "real")
    with patched_environ(**{aggression.ENV_DIR: str(folder)}):
        result = run_notebook("04_agresividad_dropout", tmp_path / "out", fast=True, progress=False)
    assert result.status == "ok", result.error
    assert result.metrics["nb04_tuits_entrenamiento"] == 60
    assert "nb04_techo_validacion" not in result.metrics  # a real corpus has no clean labels: no ceiling
