"""The shipped synthetic aggressiveness corpus, its loader, and clear errors on bad files."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from conftest import ROOT
from course_utils.datasets import aggression
from course_utils.datasets.aggression import CorpusError, corpus_dir, is_synthetic, load_aggression, read_split
from course_utils.datasets.aggression_generator import write_corpus

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
    assert set(splits) == {"train", "val"}


def test_corpus_has_the_shape_of_mex_a3t_2020():
    splits = load_aggression(SHIPPED)
    train, val = splits["train"], splits["val"]
    assert len(train) == 5300 and len(val) == 590
    assert 0.27 < train.labels.mean() < 0.30
    words = np.mean([len(t.split()) for t in train.texts])
    assert 14 < words < 18
    joined = "\n".join(train.texts)
    for phenomenon in ("@USUARIO", "#", "😂", "jaja", " q ", "pinche"):
        assert phenomenon in joined, phenomenon


def test_tfidf_baseline_lands_in_a_realistic_range():
    splits = load_aggression(SHIPPED)
    vec = TfidfVectorizer(ngram_range=(1, 2), max_features=5000, sublinear_tf=True)
    x_train = vec.fit_transform(splits["train"].texts)
    clf = LogisticRegression(max_iter=2000).fit(x_train, splits["train"].labels)
    macro = f1_score(splits["val"].labels, clf.predict(vec.transform(splits["val"].texts)), average="macro")
    assert 0.70 <= macro <= 0.88, f"macro-F1 {macro:.3f}: the corpus is too easy or too hard"


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
    t, l = tmp_path / "mex_train.txt", tmp_path / "mex_train_labels.txt"
    t.write_bytes(texts)
    l.write_bytes(labels)
    return t, l


@pytest.mark.parametrize("texts,labels,message", [
    (b"a\nb\nc\n", b"0\n1\n", r"mex_train.txt has 3 lines but .*mex_train_labels.txt has 2.*first unmatched line: 3"),
    (b"a\nb\n", b"0\n2\n", r"mex_train_labels.txt, line 2: label must be 0 or 1, found '2'"),
    (b"a\nb\n", b"0\nsi\n", r"line 2: label must be 0 or 1"),
    (b"", b"0\n", r"mex_train.txt: the file is empty"),
    (b"a\n\n", b"0\n1\n", r"mex_train.txt, line 2: empty tweet"),
    ("bien\nagresi\u00f3n\n".encode("latin-1"), b"0\n1\n", r"mex_train.txt, line 2: not valid UTF-8"),
])
def test_malformed_files_give_an_error_naming_file_and_line(tmp_path, texts, labels, message):
    t, l = _write(tmp_path, texts, labels)
    with pytest.raises(CorpusError, match=message):
        read_split(t, l)


def test_missing_corpus_lists_where_it_looked(tmp_path):
    with pytest.raises(CorpusError, match="no corpus found"):
        load_aggression(tmp_path)


def test_windows_line_endings_are_accepted(tmp_path):
    t, l = _write(tmp_path, b"uno\r\ndos\r\n", b"0\r\n1\r\n")
    split = read_split(t, l)
    assert split.texts == ["uno", "dos"] and list(split.labels) == [0, 1]
