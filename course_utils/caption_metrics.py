"""Caption metrics of the COCO evaluation server, written out: BLEU-4 (Papineni et al., 2002) and
CIDEr-D (Vedantam et al., 2015), with the definitions of ``pycocoevalcap`` (the code behind the
published captioning tables), so that a number here means what it means in a paper.

Both take already tokenised captions: one string per candidate, words separated by spaces, and
a list of reference strings per candidate (``pycocoevalcap`` runs the PTB tokenizer first; the
course's captions are lower-case words already, see :func:`course_utils.datasets.captions.tokenize`).

* :func:`bleu` — corpus BLEU: clipped n-gram precisions summed over the whole corpus, their
  geometric mean, and a brevity penalty that compares the total candidate length with the total
  of each candidate's *closest* reference length (ties: the shorter one).
* :func:`cider_d` — CIDEr-D: per n (1…4), TF-IDF vectors of n-gram counts (document frequency
  over the references of the evaluated set), a cosine between the candidate and each reference
  in which the candidate's weights are *clipped* to the reference's, a Gaussian penalty
  ``exp(-δ²/2σ²)`` (σ = 6) on the length difference, averaged over references and n, ×10.
  As in ``pycocoevalcap``, the length δ compares *bigram* counts (words − 1).

``tests/test_caption_metrics.py`` checks both against values computed with ``pycocoevalcap``
1.2 on fixed strings (and against the package itself when it is installed).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

_TINY, _SMALL = 1e-15, 1e-9  # pycocoevalcap's guards: a zero precision gives 0, never a division by 0


def ngrams(words: Sequence[str], n: int = 4) -> Counter:
    """Counts of every 1…``n``-gram of ``words`` (tuples of words)."""
    return Counter(tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1))


def _check(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if isinstance(candidates, str) or len(candidates) != len(references):
        raise ValueError(
            f"hacen falta una lista de frases candidatas y una lista de referencias por candidata "
            f"({len(candidates)} candidatas, {len(references)} listas de referencias)"
        )
    if any(isinstance(refs, str) or not refs for refs in references):
        raise ValueError("cada candidata necesita una lista (no vacía) de frases de referencia")


def bleu(candidates: Sequence[str], references: Sequence[Sequence[str]], n: int = 4) -> list[float]:
    """Corpus BLEU-1 … BLEU-``n`` (``[-1]`` is BLEU-4 with the default ``n``)."""
    _check(candidates, references)
    correct, guess = [0] * n, [0] * n
    test_len = ref_len = 0
    for candidate, refs in zip(candidates, references):
        words = candidate.split()
        counts = ngrams(words, n)
        best: Counter = Counter()  # the most times each n-gram occurs in one reference
        lengths = []
        for ref in refs:
            ref_words = ref.split()
            lengths.append(len(ref_words))
            best |= ngrams(ref_words, n)
        test_len += len(words)
        ref_len += min(lengths, key=lambda length: (abs(length - len(words)), length))
        for gram, count in counts.items():
            correct[len(gram) - 1] += min(count, best[gram])
        for k in range(1, n + 1):
            guess[k - 1] += max(len(words) - k + 1, 0)
    scores, product = [], 1.0
    for k in range(n):
        product *= (correct[k] + _TINY) / (guess[k] + _SMALL)
        scores.append(product ** (1.0 / (k + 1)))
    ratio = (test_len + _TINY) / (ref_len + _SMALL)
    penalty = math.exp(1 - 1 / ratio) if ratio < 1 else 1.0
    return [score * penalty for score in scores]


def bleu4(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Corpus BLEU-4 (see :func:`bleu`)."""
    return bleu(candidates, references, 4)[-1]


def cider_d(
    candidates: Sequence[str], references: Sequence[Sequence[str]], n: int = 4, sigma: float = 6.0
) -> tuple[float, list[float]]:
    """CIDEr-D of the corpus (the mean) and of each candidate."""
    _check(candidates, references)
    ref_counts = [[ngrams(ref.split(), n) for ref in refs] for refs in references]
    document_frequency: Counter = Counter()
    for counts in ref_counts:
        document_frequency.update(set().union(*counts))
    log_images = math.log(len(references))

    def tf_idf(counts: Counter) -> tuple[list[dict], list[float], int]:
        vectors: list[dict] = [{} for _ in range(n)]
        for gram, count in counts.items():
            vectors[len(gram) - 1][gram] = count * (log_images - math.log(max(1.0, document_frequency[gram])))
        norms = [math.sqrt(sum(v * v for v in vec.values())) for vec in vectors]
        bigrams = sum(c for gram, c in counts.items() if len(gram) == 2)
        return vectors, norms, bigrams

    per_candidate = []
    for candidate, refs in zip(candidates, ref_counts):
        vec, norm, length = tf_idf(ngrams(candidate.split(), n))
        total = 0.0
        for ref in refs:
            ref_vec, ref_norm, ref_length = tf_idf(ref)
            penalty = math.exp(-((length - ref_length) ** 2) / (2 * sigma**2))
            for k in range(n):
                dot = sum(min(w, ref_vec[k].get(g, 0.0)) * ref_vec[k].get(g, 0.0) for g, w in vec[k].items())
                if norm[k] and ref_norm[k]:
                    dot /= norm[k] * ref_norm[k]
                total += dot * penalty
        per_candidate.append(10.0 * total / n / len(refs))
    return sum(per_candidate) / len(per_candidate), per_candidate
