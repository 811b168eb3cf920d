"""Text features: fitted on training texts only, cached by content, reproducible."""

import os
import subprocess
import sys

import numpy as np

from course_utils import features

TRAIN = [
    "eres un tarado @USUARIO",
    "qué buen partido",
    "pinche tráfico en la cdmx",
    "eres lo máximo @USUARIO",
    "qué tarado soy jaja",
    "buen partido de las chivas",
] * 5
OTHER = ["palabra_nueva_solo_en_prueba partido", "tarado"]


def test_tokenize_keeps_mentions_hashtags_and_emojis():
    assert features.tokenize("Hola @USUARIO #LigaMX 😂!") == ["hola", "@usuario", "#ligamx", "😂", "!"]


def test_tfidf_is_fitted_on_training_texts_only(tmp_path, monkeypatch):
    monkeypatch.setenv(features.CACHE_ENV, str(tmp_path))
    train, other = features.tfidf_features(TRAIN, OTHER, max_features=50)
    assert train.shape[0] == len(TRAIN) and other.shape == (2, train.shape[1])
    assert train.dtype == np.float32
    # the word seen only in OTHER has no column; its row still has the known word "partido"
    assert other[0].sum() > 0


def test_features_are_cached_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv(features.CACHE_ENV, str(tmp_path))
    first = features.tfidf_features(TRAIN, OTHER, max_features=50)
    assert len(list(tmp_path.glob("tfidf-*.npz"))) == 1
    again = features.tfidf_features(TRAIN, OTHER, max_features=50)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    features.tfidf_features(TRAIN + ["otro tuit distinto"], OTHER, max_features=50)
    assert len(list(tmp_path.glob("tfidf-*.npz"))) == 2


def test_a_read_only_cache_is_read_and_never_needed_for_writing(tmp_path, monkeypatch):
    monkeypatch.setenv(features.CACHE_ENV, str(tmp_path))
    expected = features.tfidf_features(TRAIN, max_features=50)
    (entry,) = tmp_path.glob("tfidf-*.npz")
    entry.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        if os.access(tmp_path, os.W_OK):  # root ignores the modes: make the write itself fail
            monkeypatch.setattr(features.np, "savez_compressed", _no_space)
        assert np.array_equal(features.tfidf_features(TRAIN, max_features=50)[0], expected[0])
        again = features.tfidf_features(TRAIN + ["otro tuit"], max_features=50)
        assert again[0].shape[0] == len(TRAIN) + 1
        assert sorted(p.name for p in tmp_path.iterdir()) == [entry.name]
    finally:
        tmp_path.chmod(0o755)


def _no_space(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_damaged_cache_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv(features.CACHE_ENV, str(tmp_path))
    expected = features.tfidf_features(TRAIN, max_features=50)
    (entry,) = tmp_path.glob("tfidf-*.npz")
    entry.write_bytes(b"not a zip file")
    assert np.array_equal(features.tfidf_features(TRAIN, max_features=50)[0], expected[0])


def test_word2vec_embeddings_are_reproducible_across_processes(tmp_path):
    code = (
        "from course_utils.features import doc_embeddings; import sys, numpy as np; "
        f"e, = doc_embeddings({TRAIN!r}, vector_size=20, seed=3, epochs=5, use_cache=False); "
        "np.save(sys.argv[1], e)"
    )
    for i, hash_seed in enumerate(("1", "2")):
        env = os.environ | {"PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"e{i}.npy")], env=env, check=True, timeout=120)
    a, b = np.load(tmp_path / "e0.npy"), np.load(tmp_path / "e1.npy")
    assert a.shape == (len(TRAIN), 20) and np.array_equal(a, b)


def test_average_vectors_and_real_vector_loader(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("3 2\ntarado 1 0\npartido 0 1\nbuen 1 1\n", encoding="utf-8")
    vectors = features.load_word2vec_text(path)
    emb = features.average_vectors(["buen partido", "nada conocido"], vectors)
    assert np.allclose(emb[0], [0.5, 1.0]) and np.allclose(emb[1], [0, 0])


def test_style_features():
    rows = features.style_features(["@USUARIO NOOOO!! #mal 😡", "hola"])
    assert rows.shape == (2, len(features.STYLE_FEATURES))
    assert list(rows[0, :6]) == [4, 1, 1, 1, 2, 0] and rows[0, 7] == 1
    assert rows[0, 6] == 5 / 8, "5 of the 8 letters (NOOOO + mal) are upper case"
