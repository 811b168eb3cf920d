"""Training loop, fusion networks and the noise helper."""

import ast
import inspect
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.models import fusion_nets as fn
from course_utils.robustness import with_noise
from course_utils.trainer import fit
from course_utils.training import (
    ImageCaptionRecipe,
    _train_on_image_caption_batches,
    as_tensors,
    count_parameters,
    predict_proba,
    train_classifier,
)


def _two_modality_task(n=400, seed=0):
    """Class = sign of (feature 0 of A) xor sign of (feature 0 of B): needs both modalities."""
    g = np.random.default_rng(seed)
    a, b = g.normal(size=(n, 4)).astype("float32"), g.normal(size=(n, 3)).astype("float32")
    y = ((a[:, 0] > 0) ^ (b[:, 0] > 0)).astype("int64")
    return a, b, y


class _Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, a, b):
        return self.net(torch.cat([a, b], dim=-1))


def test_train_classifier_learns_and_is_deterministic():
    a, b, y = _two_modality_task()
    inputs, target = as_tensors([a, b]), as_tensors([y])[0]
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = _Concat()
        hist = train_classifier(
            model, inputs, target, epochs=60, lr=1e-2, seed=0, show_progress=False, validation=(inputs, target)
        )
        runs.append(hist["loss"])
    assert runs[0] == runs[1]
    assert hist["train_acc"][-1] > 0.9 and hist["val_acc"][-1] > 0.9
    assert predict_proba(model, inputs).shape == (len(y), 2)


def test_augment_only_touches_training_batches():
    a, b, y = _two_modality_task(n=64)
    inputs, target = as_tensors([a, b]), as_tensors([y])[0]
    seen = []

    def spy(batch):
        seen.append(len(batch[0]))
        return batch

    train_classifier(
        _Concat(),
        inputs,
        target,
        epochs=2,
        batch_size=16,
        augment=spy,
        show_progress=False,
        validation=(inputs, target),
    )
    assert seen == [16] * 8


def test_multi_input_net_concatenates_one_projected_path_per_input():
    model = fn.MultiInputNet([13, 7, 5], [10, 6, 4], fusion_dim=8, hidden=16, n_classes=3)
    xs = (torch.randn(5, 13), torch.randn(5, 7), torch.randn(5, 5))
    out = model(*xs)
    assert out.shape == (5, 3) and model.head[0].in_features == 3 * 8
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    with pytest.raises(ValueError, match="anchura"):
        fn.MultiInputNet([13, 7], [10, 6, 4])
    with pytest.raises(ValueError, match="entradas"):
        model(*xs[:2])


def test_multi_input_net_has_the_weights_and_outputs_of_the_layers_built_one_by_one():
    """Notebook 03 used to build this network as three ``mlp`` branches, three projections and a
    head, in that order: the same seed must give the same weights and the same logits."""
    torch.manual_seed(7)
    encoders = [fn.mlp([13, 10]), fn.mlp([7, 6]), fn.mlp([5, 4])]
    projections = [nn.Linear(w, 8) for w in (10, 6, 4)]
    head = nn.Sequential(nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 2))
    torch.manual_seed(7)
    model = fn.MultiInputNet([13, 7, 5], [10, 6, 4], fusion_dim=8, hidden=16, n_classes=2)
    by_hand = [p for m in (*encoders, *projections, head) for p in m.parameters()]
    built = [path[0][0] for path in model.paths] + [path[1] for path in model.paths] + [model.head]
    assert all(torch.equal(a, b) for a, b in zip(by_hand, [p for m in built for p in m.parameters()], strict=True))
    xs = (torch.randn(4, 13), torch.randn(4, 7), torch.randn(4, 5))
    feats = [proj(enc(x)) for enc, proj, x in zip(encoders, projections, xs)]
    assert torch.equal(model(*xs), head(torch.cat(feats, dim=-1)))


def test_early_fusion_flattens_and_concatenates_its_inputs():
    early = fn.EarlyFusion([32, 13])
    x = (torch.randn(3, 8, 4, 1), torch.randn(3, 13))
    assert early(*x).shape == (3, 10)


def test_hybrid_fusion_adds_each_modality_decision_to_the_joint_one():
    torch.manual_seed(0)
    model = fn.HybridFusion([nn.Flatten(), nn.Identity()], [32, 13], hidden=8)
    x = (torch.randn(4, 8, 4, 1), torch.randn(4, 13))
    with torch.no_grad():
        joint_only = model.joint_head(torch.cat([x[0].flatten(1), x[1]], dim=-1))
        for head in model.unimodal_heads:  # no unimodal decision: the joint head alone
            head.weight.zero_()
            head.bias.zero_()
        assert torch.allclose(model(*x), joint_only)
        model.unimodal_heads[1].bias.fill_(1.0)  # the tabular decision shifts every logit by 1
        assert torch.allclose(model(*x), joint_only + 1.0)
    with pytest.raises(ValueError):
        fn.HybridFusion([nn.Identity()], [3, 4])


def test_count_parameters_counts_a_small_model_by_hand():
    # Linear(3, 2): 3×2 weights + 2 biases = 8; Linear(2, 1): 2 + 1 = 3; the Embedding(4, 5) is
    # frozen: 20 parameters that only count when frozen ones are asked for. Catches a count that
    # forgets biases, counts tensors instead of their elements, or ignores requires_grad.
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    model.add_module("frozen", nn.Embedding(4, 5).requires_grad_(False))
    assert count_parameters(model) == 11
    assert count_parameters(model, trainable_only=False) == 31
    # EarlyFusion([4, 2], hidden=8, n_classes=3): Linear(6, 8) 56 + Linear(8, 4) 36 + Linear(4, 3) 15.
    assert count_parameters(fn.EarlyFusion([4, 2], hidden=8, n_classes=3)) == 107


def test_noise_has_the_requested_spread_and_leaves_the_input_alone():
    x = np.zeros((100, 4), dtype="float32")
    noisy = with_noise(x, 2.0, seed=1)
    assert noisy.dtype == np.float32 and 1.5 < noisy.std() < 2.5 and np.all(x == 0)


def test_text_pooling_averages_real_tokens_only_and_gives_zeros_for_empty_rows():
    from course_utils.models.contrastive import _mean_over_real_tokens

    mask = torch.tensor([[True, True], [True, False]])
    values = torch.tensor([[[2.0], [4.0]], [[6.0], [100.0]]], requires_grad=True)
    pooled = _mean_over_real_tokens(values, mask)
    assert pooled.tolist() == [[3.0], [6.0]]
    pooled.sum().backward()
    assert values.grad[:, :, 0].tolist() == [[0.5, 0.5], [1.0, 0.0]], "padding gets no gradient"
    assert _mean_over_real_tokens(values, torch.zeros(2, 2, dtype=torch.bool)).tolist() == [[0.0], [0.0]]
    # leading dimensions broadcast (the cross-attention scorer pools all pairs at once); 0/1 masks work too
    pairs = torch.randn(3, 2, 2, 1)
    expected = torch.stack([_mean_over_real_tokens(pairs[i], mask) for i in range(3)])
    assert torch.equal(_mean_over_real_tokens(pairs, mask.long()), expected)


def test_balanced_class_weights_make_both_classes_weigh_the_same():
    from course_utils.training import balanced_class_weights

    w = balanced_class_weights([0, 0, 0, 1])
    assert torch.allclose(w, torch.tensor([4 / 6, 4 / 2]))
    assert float(w[0] * 3) == pytest.approx(float(w[1] * 1))


def test_the_image_caption_recipe_is_the_shared_loops_keywords_with_the_documented_defaults():
    # the trainers take **recipe: its keys and the defaults its docstring states are those of the loop and fit
    loop, fitting = (inspect.signature(f).parameters for f in (_train_on_image_caption_batches, fit))
    defaults = {n: p.default for n, p in [*loop.items(), *fitting.items()] if p.default is not p.empty}
    keys = set(ImageCaptionRecipe.__annotations__)
    assert keys == {n for n, p in loop.items() if p.default is not p.empty} | {"show_progress", "desc"}
    documented = dict(re.findall(r"``(\w+)=([^`]+)``", ImageCaptionRecipe.__doc__))
    assert documented.keys() == keys
    assert all(ast.literal_eval(documented[name]) == defaults[name] for name in keys)
