"""course_utils/models/losses.py: the symmetric InfoNCE against CLIP's paper pseudo-code and
Hugging Face's ``CLIPModel`` loss, its multi-positive form against a direct statement, and the
rule that no other module of ``course_utils`` writes a contrastive cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.models.losses import _info_nce, _symmetric_info_nce
from support.source_scan import calls, count_calls, functions_where, mentions_transpose, package_hits


def _cross_entropy_loss(logits: np.ndarray, labels: np.ndarray, axis: int) -> float:
    """CLIP's ``cross_entropy_loss(logits, labels, axis)``: the softmax runs along ``axis``."""
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    picked = log_probs[labels, np.arange(len(labels))] if axis == 0 else log_probs[np.arange(len(labels)), labels]
    return float(-picked.mean())


def _clip_paper_loss(logits: np.ndarray) -> float:
    """Figure 3 of Radford et al. (2021), as printed: labels = arange(n);
    loss_i = cross_entropy_loss(logits, labels, axis=0); loss_t = … axis=1; (loss_i + loss_t) / 2."""
    labels = np.arange(logits.shape[0])
    loss_i = _cross_entropy_loss(logits, labels, axis=0)
    loss_t = _cross_entropy_loss(logits, labels, axis=1)
    return (loss_i + loss_t) / 2


@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_symmetric_info_nce_is_clips_pseudo_code(n):
    g = torch.Generator().manual_seed(n)
    images, texts = (
        torch.randn(n, 8, generator=g, dtype=torch.float64),
        torch.randn(n, 8, generator=g, dtype=torch.float64),
    )
    logits = 14.3 * torch.nn.functional.normalize(images, dim=1) @ torch.nn.functional.normalize(texts, dim=1).T
    assert float(_symmetric_info_nce(logits)) == pytest.approx(_clip_paper_loss(logits.numpy()), abs=1e-10)
    asymmetric = torch.tensor([[2.0, 0.0], [1.0, 0.5]], dtype=torch.float64)  # rows and columns differ
    assert float(_symmetric_info_nce(asymmetric)) == pytest.approx(_clip_paper_loss(asymmetric.numpy()), abs=1e-10)


def test_symmetric_info_nce_equals_hugging_face_clip_loss_and_its_gradient():
    modeling_clip = pytest.importorskip("transformers.models.clip.modeling_clip")
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(6, 6, generator=g) * 3).requires_grad_(True)
    reference = logits.detach().clone().requires_grad_(True)
    ours, theirs = _symmetric_info_nce(logits), modeling_clip.image_text_contrastive_loss(reference)
    torch.testing.assert_close(ours, theirs)
    ours.backward()
    theirs.backward()
    torch.testing.assert_close(logits.grad, reference.grad)


def _multi_positive_by_definition(logits: np.ndarray, groups: np.ndarray) -> float:
    """Each row (and each column) spreads its target equally over the pairs of its group."""
    positive = groups[:, None] == groups[None, :]
    total = 0.0
    for matrix in (logits, logits.T):
        log_probs = matrix - np.log(np.exp(matrix).sum(axis=1, keepdims=True))
        total += np.mean([-log_probs[i, positive[i]].mean() for i in range(len(matrix))])
    return total / 2


def test_multi_positive_form_follows_its_definition_and_reduces_to_clip_without_repeats():
    g = torch.Generator().manual_seed(1)
    for n in (2, 5, 9):
        logits = torch.randn(n, n, generator=g, dtype=torch.float64) * 4
        groups = torch.randint(0, 3, (n,), generator=g)
        want = _multi_positive_by_definition(logits.numpy(), groups.numpy())
        assert float(_symmetric_info_nce(logits, groups)) == pytest.approx(want, abs=1e-10)
        torch.testing.assert_close(_symmetric_info_nce(logits, torch.arange(n)), _symmetric_info_nce(logits))


def test_one_direction_takes_an_index_or_a_distribution_of_positives():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(4, 6, generator=g)  # four anchors, six candidates each (hard negatives)
    first = torch.zeros(4, dtype=torch.long)
    by_definition = -logits.log_softmax(dim=1)[:, 0].mean()
    torch.testing.assert_close(_info_nce(logits, first), by_definition)
    torch.testing.assert_close(_info_nce(logits, torch.nn.functional.one_hot(first, 6).float()), by_definition)
    square = logits[:, :4]
    torch.testing.assert_close(_info_nce(square), -square.log_softmax(dim=1).diagonal().mean())


def test_the_multi_positive_form_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="forma"):
        _symmetric_info_nce(torch.zeros(2, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="forma"):
        _symmetric_info_nce(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))


# --- one InfoNCE: no other module of course_utils writes a contrastive cross-entropy -------------

_CROSS_ENTROPY = ("cross_entropy", "log_softmax", "nll_loss")


_PAIRS = ("arange", "diagonal", "diag", "eye")  # the targets of a contrastive loss: pair i is the positive of row i


def _contrastive(node) -> bool:
    """Two cross-entropies in one function (the symmetric loss), or one next to the pairs' targets
    (``arange``, ``diagonal``, ``eye``) or a transposed matrix (the columns' direction)."""
    n = count_calls(node, _CROSS_ENTROPY)
    return n >= 2 or (n == 1 and (calls(node, _PAIRS) or mentions_transpose(node)))


def contrastive_cross_entropies(source: str) -> list[str]:
    """Functions of ``source`` that write a contrastive cross-entropy (``F.cross_entropy``,
    ``log_softmax``, ``nll_loss`` over the pairs of a batch): that loss is written in losses.py.
    A classifier's or a language model's cross-entropy over classes or words is not one."""
    return functions_where(source, _contrastive)


def test_the_scan_finds_a_contrastive_loss_written_by_hand():
    planted = (
        "def loss(scale, i2t, t2i, zeros):\n"
        "    return (F.cross_entropy(scale * i2t, zeros) + F.cross_entropy(scale * t2i, zeros)) / 2\n\n"
        "def by_hand(logits):\n"
        "    return -(logits.log_softmax(dim=1).diagonal()).mean()\n\n"
        "def classifier_loss(label_smoothing):\n"
        "    return nn.CrossEntropyLoss(label_smoothing=label_smoothing)\n\n"
        "def next_word(logits, targets):\n"
        "    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=0)\n\n"
        "def columns(image, text):\n"
        "    logits = image @ text.T\n"
        "    return F.cross_entropy(logits, torch.arange(len(logits)))\n"
    )
    assert contrastive_cross_entropies(planted) == ["loss (line 1)", "by_hand (line 4)", "columns (line 13)"]


def test_no_module_but_losses_writes_a_contrastive_cross_entropy():
    found = package_hits(contrastive_cross_entropies, home="models/losses.py")
    assert not found, f"a cross-entropy written outside course_utils/models/losses.py (use its InfoNCE): {found}"
