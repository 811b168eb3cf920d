"""Pre-trained word vectors for chapter 04: real ones beside the corpus win; otherwise Word2Vec
on the general-language corpus, which must know held-out insults and ignore chat markers."""

import numpy as np

from course_utils.datasets.aggression_generator import FILLERS
from course_utils.datasets.aggression_vectors import VECTORS_FILE, pretrained_doc_embeddings, pretrained_vectors


def test_vectors_file_beside_the_corpus_is_used(tmp_path):
    (tmp_path / VECTORS_FILE).write_text("2 3\nhola 1 0 0\nmundo 0 1 0\n", encoding="utf-8")
    (emb,) = pretrained_doc_embeddings(["hola mundo jajaja"], folder=tmp_path, use_cache=False)
    np.testing.assert_allclose(emb, [[0.5, 0.5, 0.0]])


def test_general_language_vectors_place_held_out_insults_with_the_known_ones():
    vectors = pretrained_vectors()
    known_insults = np.mean([vectors[w] for w in FILLERS["insulto"][0]], axis=0)
    known_praise = np.mean([vectors[w] for w in FILLERS["elogio"][0]], axis=0)

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    for word in FILLERS["insulto"][1]:
        assert cosine(vectors[word], known_insults) > cosine(vectors[word], known_praise), word
    for word in FILLERS["elogio"][1]:
        assert cosine(vectors[word], known_praise) > cosine(vectors[word], known_insults), word
    assert "jajaja" not in vectors.key_to_index and "xd" not in vectors.key_to_index
