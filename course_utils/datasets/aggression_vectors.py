"""Word vectors for the aggressiveness tweets that come from *outside* the labelled corpus.

Notebook 04 fuses two views of a tweet: a TF-IDF fitted on the training tweets (it knows their
chat words, but not a word it never saw) and the average of word vectors **pre-trained on other
text** (they know words the training tweets lack, but not chat markers the other text lacks).

The vectors are, in order of preference:

1. ``vectors.txt`` (word2vec text format) in the corpus folder — real pre-trained vectors an
   instructor puts beside the real corpus;
2. Word2Vec trained on the generated general-language corpus
   (:func:`course_utils.datasets.aggression_generator.background_sentences`), never on the tweets.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..features import average_vectors, cached_matrices, load_word2vec_text, train_word2vec
from . import aggression_generator
from .aggression_generator import background_sentences

VECTORS_FILE = "vectors.txt"


def pretrained_vectors(folder: str | Path | None = None, vector_size: int = 300, seed: int = 0):
    """``folder/vectors.txt`` when present, else Word2Vec on the general-language corpus."""
    if folder is not None and (Path(folder) / VECTORS_FILE).is_file():
        return load_word2vec_text(Path(folder) / VECTORS_FILE)
    return train_word2vec(background_sentences(), vector_size=vector_size, seed=seed, epochs=10, min_count=1)


def pretrained_doc_embeddings(
    *texts: Sequence[str],
    folder: str | Path | None = None,
    vector_size: int = 300,
    seed: int = 0,
    use_cache: bool = True,
) -> list[np.ndarray]:
    """Average pre-trained vector of each text, for every given list of texts (cached on disk)."""
    import gensim

    source = Path(folder) / VECTORS_FILE if folder is not None else None
    if source is not None and source.is_file():
        origin: object = [str(source), source.stat().st_size, source.stat().st_mtime_ns]
    else:
        generator = hashlib.sha256(inspect.getsource(aggression_generator).encode("utf-8")).hexdigest()
        origin = ["background", generator, vector_size, seed]

    def compute() -> list[np.ndarray]:
        vectors = pretrained_vectors(folder, vector_size, seed)
        return [average_vectors(t, vectors) for t in texts]

    key = [[list(t) for t in texts], origin, gensim.__version__]
    return cached_matrices("pretrained-w2v", key, compute, use_cache)
