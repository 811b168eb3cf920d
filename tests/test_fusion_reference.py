"""Reference fusion operations (course_utils.fusion), which hidden tests compare against."""
import math

import numpy as np
import pytest
import torch

from course_utils.fusion import torch as fz


def test_concat_and_elementwise():
    a, b = torch.randn(4, 2), torch.randn(4, 3)
    assert fz.fuse_concat([a, b]).shape == (4, 5)
    with pytest.raises(ValueError):
        fz.fuse_concat([a, torch.randn(5, 3)])
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    assert torch.allclose(fz.fuse_elementwise([x, y], "mean"), (x + y) / 2)
    assert torch.equal(fz.fuse_elementwise([x, y], "max"), torch.maximum(x, y))
    assert torch.allclose(fz.fuse_elementwise([x, y], "product"), x * y)
    with pytest.raises(ValueError):
        fz.fuse_elementwise([x, a], "sum")


def test_weighted_average_is_convex_and_learns():
    torch.manual_seed(0)
    layer = fz.WeightedAverage(2)
    good, noise = torch.randn(256, 4), torch.randn(256, 4)
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    for _ in range(100):
        loss = torch.nn.functional.mse_loss(layer([good, noise]), good)
        opt.zero_grad()
        loss.backward()
        opt.step()
    weights = layer.fusion_weights()
    assert math.isclose(weights.sum().item(), 1.0, rel_tol=1e-6)
    assert weights[0] > 0.9


def test_gated_fusion_between_inputs():
    torch.manual_seed(0)
    a, b = torch.randn(5, 4), torch.randn(5, 4)
    out = fz.GatedFusion(4)(a, b)
    assert torch.all(out >= torch.minimum(a, b) - 1e-6) and torch.all(out <= torch.maximum(a, b) + 1e-6)


def test_tensor_fusion_keeps_unimodal_terms():
    a, b = torch.randn(3, 2), torch.randn(3, 4)
    out = fz.tensor_fusion(a, b).reshape(3, 3, 5)
    assert torch.allclose(out[:, :2, -1], a) and torch.allclose(out[:, -1, :4], b)
    assert torch.allclose(out[:, -1, -1], torch.ones(3))
    assert torch.allclose(out[:, 1, 2], a[:, 1] * b[:, 2])


def test_fusion_output_dim():
    assert fz.fusion_output_dim([3, 4], "concat") == 7
    assert fz.fusion_output_dim([3, 4], "tensor") == 20
    assert fz.fusion_output_dim([5, 5], "max") == 5
    with pytest.raises(ValueError):
        fz.fusion_output_dim([3, 4], "sum")


def test_keras_and_torch_weighted_average_agree():
    from course_utils.fusion import keras as fk

    xs = [np.random.default_rng(i).normal(size=(3, 4)).astype("float32") for i in range(3)]
    klayer = fk.WeightedAverage()
    kout = klayer(xs)
    klayer.logits.assign(np.array([0.5, -1.0, 2.0], dtype="float32"))
    tlayer = fz.WeightedAverage(3)
    with torch.no_grad():
        tlayer.logits.copy_(torch.tensor([0.5, -1.0, 2.0]))
    expected = tlayer([torch.from_numpy(x) for x in xs]).detach().numpy()
    assert kout.shape == (3, 4)
    assert np.allclose(np.asarray(klayer(xs)), expected, atol=1e-6)
    assert np.allclose(klayer.fusion_weights(), tlayer.fusion_weights().detach().numpy(), atol=1e-6)


def test_keras_gated_fusion_extremes():
    from course_utils.fusion import keras as fk

    a = np.ones((2, 3), "float32")
    b = np.zeros((2, 3), "float32")
    layer = fk.GatedFusion()
    layer([a, b])
    layer.gate.kernel.assign(np.zeros((6, 3), "float32"))
    layer.gate.bias.assign(np.full((3,), 30.0, "float32"))
    assert np.allclose(np.asarray(layer([a, b])), a, atol=1e-5)
