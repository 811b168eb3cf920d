"""Evaluating image–text models: similarity matrices computed in blocks, Recall@K in both
directions, and the zero-shot judgement of notebook 05 ("trained well" or not)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from .trainer import predict


def relevance_matrix(image_captions: Sequence[Sequence[str]], caption_image: Sequence[int] | None = None) -> np.ndarray:
    """``(n_images, n_captions)`` booleans: caption ``j`` correctly describes image ``i``.

    Captions are those of ``image_captions`` flattened in order (or the rows ``caption_image``
    points to). Caption ``j`` is relevant to image ``i`` when it belongs to ``i`` **or to an
    image with the same content**, recognised by sharing at least one caption text. With
    generated scenes the same description repeats across images, and counting a correct
    description of another identical scene as an error would be unfair; in Flickr8k identical
    captions are rare and this is the usual rule (a caption is right for its own image).
    """
    sets = [set(caps) for caps in image_captions]
    owner = {}
    for i, caps in enumerate(sets):
        for text in caps:
            owner.setdefault(text, []).append(i)
    same = np.eye(len(sets), dtype=bool)
    for owners in owner.values():
        same[np.ix_(owners, owners)] = True
    if caption_image is None:
        caption_image = [i for i, caps in enumerate(image_captions) for _ in caps]
    return same[:, np.asarray(caption_image, dtype=int)]


def _best_relevant_rank(similarity: np.ndarray, relevance: np.ndarray) -> np.ndarray:
    """For each row, the rank (0 = most similar; equal similarities ranked by column order) of
    its best-ranked relevant column, or ``inf`` for a row with no relevant column."""
    order = np.argsort(-similarity, axis=1, kind="stable")
    rank_of_column = np.empty_like(order)
    np.put_along_axis(rank_of_column, order, np.arange(similarity.shape[1])[None, :], axis=1)
    return np.where(relevance, rank_of_column, np.inf).min(axis=1, initial=np.inf)


def retrieval_scores(
    similarity: np.ndarray, relevance: np.ndarray, ks: Sequence[int] = (1, 5), similarity_t2i: np.ndarray | None = None
) -> dict[str, float]:
    """Recall@K image→text (rows) and text→image (columns) for each ``k``: the fraction of
    queries whose best-ranked relevant candidate is among the ``k`` most similar (all of them
    when ``k`` exceeds their number).

    ``similarity_t2i`` (same shape) is used for text→image when the two directions were
    scored differently (re-ranking). Keys: ``"i→t R@k"`` and ``"t→i R@k"``, in the order of ``ks``.
    """
    relevance = np.asarray(relevance, dtype=bool)
    i2t = np.asarray(similarity)
    t2i = i2t if similarity_t2i is None else np.asarray(similarity_t2i)
    for matrix in (i2t, t2i):
        if matrix.shape != relevance.shape:
            raise ValueError(f"similarity {matrix.shape} and relevance {relevance.shape} differ in shape")
    best = {"i→t": _best_relevant_rank(i2t, relevance), "t→i": _best_relevant_rank(t2i.T, relevance.T)}
    return {f"{direction} R@{k}": float(np.mean(best[direction] < k)) for k in ks for direction in best}


def hard_negatives(similarity: np.ndarray, relevance: np.ndarray, k: int) -> np.ndarray:
    """For each row, the ``k`` most similar columns that are **not** relevant (hardest first)."""
    masked = np.where(relevance, -np.inf, similarity)
    return np.argsort(-masked, axis=1, kind="stable")[:, :k]


def _rescore(base: np.ndarray, k: int, score: Callable, scorer: torch.nn.Module, device: torch.device) -> np.ndarray:
    """``base`` with each row's ``k`` best entries replaced by ``score(rows, candidates)``
    (computed in blocks of rows by :func:`course_utils.trainer.predict`), shifted so that every
    re-scored entry ranks above every other one."""
    top = np.argsort(-base, axis=1, kind="stable")[:, :k]
    rows = torch.arange(len(top), device=device)
    scores = predict(score, rows, torch.as_tensor(top, device=device), batch_size=256, model=scorer)
    out = base - base.max() - 10.0
    np.put_along_axis(out, top, scores.cpu().numpy(), axis=1)
    return out


def rerank(
    scorer: torch.nn.Module,
    patches: torch.Tensor,
    words: torch.Tensor,
    mask: torch.Tensor,
    base_similarity: np.ndarray,
    k: int = 10,
    text_to_image: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Re-rank retrieval with a pairwise ``scorer(patches, words, mask)``.

    For each image, its ``k`` best captions under ``base_similarity`` (images × captions, from
    the dual encoder) are re-scored by the scorer; likewise, for each caption, its ``k`` best
    images. This is how cross-attention models are used for retrieval in practice (ALBEF,
    BLIP): the cheap dual encoder shortlists, the pairwise model decides. Returns the
    similarity matrices to use for image→text (rows) and for text→image (columns); with
    ``text_to_image=False`` only the image→text direction is re-ranked and the second is None.
    """
    i2t = _rescore(
        base_similarity,
        k,
        lambda rows, cand: scorer(patches[rows][:, None], words[cand], mask[cand]),
        scorer,
        patches.device,
    )
    if not text_to_image:
        return i2t, None
    t2i = _rescore(
        base_similarity.T,
        k,
        lambda cols, cand: scorer(patches[cand], words[cols][:, None], mask[cols][:, None]),
        scorer,
        patches.device,
    )
    return i2t, t2i.T


def zero_shot_judgement(
    similarity: np.ndarray, correct: Sequence[int], margin: float = 0.05, collapse_tolerance: float = 1e-3
) -> dict[str, float | bool]:
    """Judge a model on images it never saw, each scored against the same list of captions.

    ``similarity`` ``(n_images, n_captions)`` holds cosine similarities; ``correct[i]`` is the
    caption that describes image ``i``. An image is **right** when its caption ranks first by at
    least ``margin`` over the best wrong one. Returns the fraction right, the fraction ranked
    first at all, the mean gap (right − best wrong) and ratio ((1 + right) / (1 + best wrong),
    cosines shifted to be positive), and ``collapsed``: the model gives (almost) the same
    similarity to every caption — the failure the seed's table shows as identical values.
    """
    sim = np.asarray(similarity, dtype=float)
    correct = np.asarray(correct, dtype=int)
    rows = np.arange(len(sim))
    right = sim[rows, correct]
    wrong = sim.copy()
    wrong[rows, correct] = -np.inf
    best_wrong = wrong.max(axis=1)
    gap = right - best_wrong
    ratio = (1 + right) / np.maximum(1 + best_wrong, 1e-6)  # cosines shifted to [0, 2]
    spread = sim.std(axis=1)
    return {
        "acierto con margen": float((gap >= margin).mean()),
        "acierto top-1": float((gap > 0).mean()),
        "brecha media": float(gap.mean()),
        "ratio medio": float(ratio.mean()),
        "colapsado": bool(np.median(spread) < collapse_tolerance),
    }
