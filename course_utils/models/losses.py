"""The contrastive loss of the course, one implementation: InfoNCE (Oord et al., 2018), the
cross-entropy of a softmax over candidates against the positive ones, and its symmetric form
over an images × captions logit matrix, as in CLIP (Radford et al., 2021).

Notebooks 05 and 06 ask students to write the loss (the plain and the multi-positive form); the
private functions here are what the course's trainers (:mod:`course_utils.training`) use.
``tests/models/test_losses.py`` checks them against CLIP's paper pseudo-code and Hugging Face's
``clip_loss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _info_nce(logits: torch.Tensor, positives: torch.Tensor | None = None) -> torch.Tensor:
    """One direction of InfoNCE: the mean over the rows of ``logits`` ``(N, C)`` (a row: one
    anchor's logits over ``C`` candidates) of the cross-entropy against the row's positives.

    ``positives``: None (row ``i``'s positive is candidate ``i``), ``(N,)`` integers (the index
    of each row's positive), or ``(N, C)`` weights (each row's positives, sharing the target
    equally when they are 0/1: the row is normalised to sum 1).
    """
    if positives is None:
        positives = torch.arange(logits.shape[0], device=logits.device)
    elif positives.is_floating_point():
        positives = positives / positives.sum(1, keepdim=True)
    return F.cross_entropy(logits, positives)


def _symmetric_info_nce(logits: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE over a ``(B, B)`` images × captions logit matrix, as in CLIP: the mean
    of the loss of the rows (image → caption) and of the columns (caption → image).

    Without ``groups`` the positive of row ``i`` and of column ``i`` is pair ``i`` alone. With
    ``groups`` (``(B,)`` labels of what pair ``i``'s caption says), every pair of the same group
    is a positive too, all of them equally likely — so two captions of the same thing in one
    batch are not pushed apart. :func:`course_utils.training.train_contrastive` trains with it.
    """
    if groups is None:
        return (_info_nce(logits) + _info_nce(logits.T)) / 2
    if groups.shape != logits.shape[:1] or logits.shape[0] != logits.shape[1]:
        raise ValueError(f"groups tiene forma {tuple(groups.shape)} y logits {tuple(logits.shape)}: deben coincidir")
    same = (groups[:, None] == groups[None, :]).to(logits.dtype)  # symmetric: rows and columns alike
    return (_info_nce(logits, same) + _info_nce(logits.T, same)) / 2
