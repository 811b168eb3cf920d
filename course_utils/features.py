"""Text representations for the aggressiveness chapters: TF-IDF, averaged word vectors
(Word2Vec trained on the training split, or real pre-trained vectors in word2vec text
format), a few stylistic counts — and an on-disk cache keyed by a hash of the inputs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .config import CACHE_ENV, cache_dir  # noqa: F401 - CACHE_ENV re-exported for tests

_TOKEN = re.compile(r"@usuario|#\w+|\w+|[^\w\s]", re.UNICODE)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def tokenize(text: str) -> list[str]:
    """Lower-case tokens: words, ``@usuario``, hashtags, and single symbols/emojis."""
    return _TOKEN.findall(text.lower())


# --- cache ----------------------------------------------------------------------------------
def content_key(*parts: object) -> str:
    """A short SHA-256 of everything that determines a result (texts, parameters, versions)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:20]


def cached_matrices(
    kind: str, key_parts: Sequence[object], compute: Callable[[], list[np.ndarray]], use_cache: bool = True
) -> list[np.ndarray]:
    """``compute()``'s list of arrays, read from the cache when the same ``key_parts`` were seen.

    ``use_cache=False`` always recomputes and writes nothing. A damaged cache entry is recomputed;
    a cache that cannot be written (read-only, full) only costs the computation.
    """
    if not use_cache:
        return compute()
    path = cache_dir() / f"{kind}-{content_key(kind, *key_parts)}.npz"
    if path.is_file():
        try:
            with np.load(path) as stored:
                return [stored[f"m{i}"] for i in range(len(stored.files))]
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)
    matrices = compute()
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, **{f"m{i}": m for i, m in enumerate(matrices)})
        os.replace(tmp, path)
    except OSError:  # a read-only cache (a grading sandbox's) or a full disk: computed, not kept
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return matrices


# --- TF-IDF ---------------------------------------------------------------------------------
def tfidf_features(
    train_texts: Sequence[str],
    *other_texts: Sequence[str],
    max_features: int = 5000,
    ngram_range: tuple[int, int] = (1, 2),
    use_cache: bool = True,
) -> list[np.ndarray]:
    """TF-IDF fitted on ``train_texts`` only, applied to every given text list (dense float32)."""
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer

    def compute() -> list[np.ndarray]:
        vectorizer = TfidfVectorizer(
            tokenizer=tokenize,
            token_pattern=None,
            lowercase=False,
            ngram_range=ngram_range,
            max_features=max_features,
            sublinear_tf=True,
            min_df=2,
        )
        matrices = [vectorizer.fit_transform(train_texts)] + [vectorizer.transform(t) for t in other_texts]
        return [m.astype(np.float32).toarray() for m in matrices]

    key = [list(train_texts), [list(t) for t in other_texts], max_features, ngram_range, sklearn.__version__]
    return cached_matrices("tfidf", key, compute, use_cache)


# --- word vectors ---------------------------------------------------------------------------
def _stable_hash(text: str) -> int:
    """Deterministic across processes, unlike Python's ``hash`` (gensim seeds vectors with it)."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(
    train_texts: Sequence[str],
    vector_size: int = 300,
    seed: int = 0,
    epochs: int = 15,
    window: int = 5,
    min_count: int = 2,
):
    """Word2Vec (skip-gram) on the training split only; one worker, so the result is reproducible."""
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=[tokenize(t) for t in train_texts],
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=1,
        workers=1,
        seed=seed,
        epochs=epochs,
        hashfxn=_stable_hash,
    ).wv


def load_word2vec_text(path: str | Path, limit: int | None = None):
    """Real pre-trained vectors in word2vec *text* format (first line ``<count> <dim>``)."""
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(path), binary=False, limit=limit)


def average_vectors(texts: Sequence[str], vectors) -> np.ndarray:
    """Mean of the known words' vectors per text (zeros when no word is known)."""
    out = np.zeros((len(texts), vectors.vector_size), dtype=np.float32)
    for i, text in enumerate(texts):
        known = [w for w in tokenize(text) if w in vectors.key_to_index]
        if known:
            out[i] = vectors[known].mean(axis=0)
    return out


def doc_embeddings(
    train_texts: Sequence[str],
    *other_texts: Sequence[str],
    vector_size: int = 300,
    seed: int = 0,
    epochs: int = 15,
    use_cache: bool = True,
) -> list[np.ndarray]:
    """Averaged Word2Vec document embeddings (vectors trained on ``train_texts`` only)."""
    import gensim

    def compute() -> list[np.ndarray]:
        vectors = train_word2vec(train_texts, vector_size=vector_size, seed=seed, epochs=epochs)
        return [average_vectors(t, vectors) for t in (train_texts, *other_texts)]

    key = [list(train_texts), [list(t) for t in other_texts], vector_size, seed, epochs, gensim.__version__]
    return cached_matrices("w2v", key, compute, use_cache)


# --- style ----------------------------------------------------------------------------------
STYLE_FEATURES = (
    "palabras",
    "menciones",
    "hashtags",
    "emojis",
    "exclamaciones",
    "interrogaciones",
    "mayúsculas",
    "alargamientos",
)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """Eight surface counts per text (see ``STYLE_FEATURES``); no vocabulary, nothing to fit."""
    rows = []
    for text in texts:
        letters = [c for c in text.replace("@USUARIO", "") if c.isalpha()]
        rows.append(
            [
                len(text.split()),
                text.count("@USUARIO"),
                text.count("#"),
                len(_EMOJI.findall(text)),
                text.count("!"),
                text.count("?"),
                sum(c.isupper() for c in letters) / max(len(letters), 1),
                len(re.findall(r"(\w)\1{2,}", text)),
            ]
        )
    return np.asarray(rows, dtype=np.float32)
