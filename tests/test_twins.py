"""Exercise twins: where ``course_utils`` keeps its own implementation of what a chapter asks
students to write (the package needs it: the ViT, the text encoders, retrieval), the solution
notebook's answer and the package's version give the same result on every input the solution
accepts, and the hidden tests grade against that one version (one oracle per concept).

The twins are written differently on purpose (a student who imports the package's version gets
no marks, see tests/delegating_answers.py), so only running them side by side relates them."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.models.contrastive import MAX_LOGIT_SCALE, LogitScale, _mean_over_real_tokens
from course_utils.models.losses import _info_nce, _symmetric_info_nce
from course_utils.models.vit import _class_token_then_patches
from course_utils.retrieval import retrieval_scores
from support import ROOT

# (chapter, the answer's cell, the function, the package's twin: module and name the hidden test imports)
TWINS = {
    "recall_at_k": ("05_atencion_cruzada", "ej2", "course_utils.retrieval", "_best_relevant_rank"),
    "masked_mean": ("03_minibatches_multimodales", "ej3", "course_utils.models.contrastive", "_mean_over_real_tokens"),
    "add_class_token": ("06_vit_clip", "ej2", "course_utils.models.vit", "_class_token_then_patches"),
    "contrastive_loss": ("05_atencion_cruzada", "ej1", "course_utils.models.losses", "_info_nce"),
    "clip_loss": ("06_vit_clip", "ej4", "course_utils.models.losses", "_info_nce"),
}


def _cell(chapter: str, grade_id: str) -> str:
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell.source


def solution(name: str):
    """The solution notebook's answer ``name``, defined in a namespace of its own."""
    chapter, exercise, _, _ = TWINS[name]
    namespace = {"np": np, "torch": torch, "F": F, "nn": torch.nn}
    exec(_cell(chapter, f"{exercise}_solucion"), namespace)  # noqa: S102 - the course's own solution
    return namespace[name]


def test_recall_at_k_is_the_packages_recall_with_the_same_tie_breaking():
    """200 matrices with many tied similarities (integers 0–2) and 100 without, Recall@k in both
    directions, k from 1 to past the number of candidates."""
    recall_at_k = solution("recall_at_k")
    rng = np.random.default_rng(0)
    differ = []
    for trial in range(300):
        n, m = rng.integers(1, 12, size=2)
        similarity = rng.integers(0, 3, size=(n, m)).astype(float) if trial < 200 else rng.normal(size=(n, m))
        relevance = rng.random((n, m)) < 0.25
        for k in (1, 2, 5, m + 1):
            package = retrieval_scores(similarity, relevance, ks=(k,))
            ours = (recall_at_k(similarity, relevance, k), recall_at_k(similarity.T, relevance.T, k))
            if ours != (package[f"i→t R@{k}"], package[f"t→i R@{k}"]):
                differ.append((trial, k))
    assert not differ, (
        f"the chapter 05 solution and course_utils.retrieval disagree on {len(differ)} cases: {differ[:5]}"
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_masked_mean_is_the_encoders_mean_over_real_tokens(dtype):
    """(B, T, D) values, (B, T) masks as booleans or 0/1 numbers, rows without a real token;
    values and gradients."""
    masked_mean = solution("masked_mean")
    g = torch.Generator().manual_seed(1)
    for b, t, d in ((1, 1, 1), (6, 7, 4), (3, 12, 5), (8, 2, 3)):
        values = torch.randn(b, t, d, generator=g, dtype=dtype)
        lengths = torch.randint(0, t + 1, (b,), generator=g)
        lengths[0] = 0  # always one row with no real token
        real = torch.arange(t)[None, :] < lengths[:, None]
        for mask in (real, real.long(), real.to(dtype)):
            a, z = values.clone().requires_grad_(True), values.clone().requires_grad_(True)
            ours, package = masked_mean(a, mask), _mean_over_real_tokens(z, mask)
            torch.testing.assert_close(ours, package)
            (ours * torch.arange(d, dtype=dtype)).sum().backward()
            (package * torch.arange(d, dtype=dtype)).sum().backward()
            torch.testing.assert_close(a.grad, z.grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_add_class_token_is_the_vits_first_slot(dtype):
    """(B, N, D) patches, a (1, 1, D) class token, (1, N+1, D) positions; values and gradients."""
    add_class_token = solution("add_class_token")
    g = torch.Generator().manual_seed(2)
    for b, n, d in ((1, 1, 1), (2, 16, 8), (5, 4, 3), (3, 9, 6)):
        inputs = [torch.randn(*shape, generator=g, dtype=dtype) for shape in ((b, n, d), (1, 1, d), (1, n + 1, d))]
        ours_in = [x.clone().requires_grad_(True) for x in inputs]
        package_in = [x.clone().requires_grad_(True) for x in inputs]
        ours, package = add_class_token(*ours_in), _class_token_then_patches(*package_in)
        torch.testing.assert_close(ours, package)
        weights = torch.randn(ours.shape, generator=g, dtype=dtype)
        (ours * weights).sum().backward()
        (package * weights).sum().backward()
        for x, y in zip(ours_in, package_in):
            torch.testing.assert_close(x.grad, y.grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_losses_are_the_packages_info_nce(dtype):
    """Chapter 05's loss on square logits; chapter 06's on positives matrices where every row and
    column has a positive (symmetric ones, as the trainer's caption groups give, and asymmetric);
    values and gradients."""
    contrastive_loss, clip_loss = solution("contrastive_loss"), solution("clip_loss")
    g = torch.Generator().manual_seed(3)
    for n in (1, 2, 5, 16):
        logits = torch.randn(n, n, generator=g, dtype=dtype) * 4
        torch.testing.assert_close(contrastive_loss(logits), _symmetric_info_nce(logits))
        groups = torch.randint(0, 3, (n,), generator=g)
        same = groups[:, None] == groups[None, :]
        torch.testing.assert_close(clip_loss(logits, same), _symmetric_info_nce(logits, groups))
        asymmetric = (torch.rand(n, n, generator=g) < 0.3) | torch.eye(n, dtype=torch.bool)
        a, z = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
        weights = asymmetric.to(dtype)
        ours, package = clip_loss(a, asymmetric), (_info_nce(z, weights) + _info_nce(z.T, weights.T)) / 2
        torch.testing.assert_close(ours, package)
        ours.backward()
        package.backward()
        torch.testing.assert_close(a.grad, z.grad)


def test_learnable_temperature_is_the_models_logit_scale():
    """Chapter 06's LearnableTemperature with the package's cap (100) against LogitScale, which the
    dual encoders use: the parameter, the scale and its gradient, below and at the cap. (Its hidden
    test states the expected values as formulas, min(1/t, cap), not with a copy of the class.)"""
    chapter, exercise = "06_vit_clip", "ej3"
    namespace = {"np": np, "torch": torch, "nn": torch.nn}
    exec(_cell(chapter, f"{exercise}_solucion"), namespace)  # noqa: S102 - the course's own solution
    for temperature in (0.07, 0.5, 1.0, 0.005):
        ours, package = namespace["LearnableTemperature"](temperature, MAX_LOGIT_SCALE), LogitScale(temperature)
        torch.testing.assert_close(ours.log_scale, package.log_scale)
        for log_scale in (float(np.log(3.0)), float(np.log(150.0))):
            for module in (ours, package):
                module.log_scale.data.fill_(log_scale)
                module.log_scale.grad = None
                module().backward()
            torch.testing.assert_close(ours(), package())
            torch.testing.assert_close(ours.log_scale.grad, package.log_scale.grad)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_the_hidden_tests_grade_against_the_packages_twin(name):
    """One oracle: the hidden block imports the package's twin rather than holding a copy."""
    chapter, exercise, module, function = TWINS[name]
    hidden = _cell(chapter, f"{exercise}_pruebas").split("### BEGIN HIDDEN TESTS")[1]
    assert f"from {module} import {function}" in hidden, f"{chapter} {exercise}: the hidden tests hold their own {name}"
