"""Keras fusion layers that the chapters reuse (course_utils.fusion.keras)."""

import math

import numpy as np


def test_keras_softmax_mixture_starts_as_the_mean_and_follows_its_logits():
    from course_utils.fusion import keras as fk

    xs = [np.full((3, 4), v, dtype="float32") for v in (1.0, 2.0, 6.0)]
    layer = fk.SoftmaxMixture()
    assert np.allclose(np.asarray(layer(xs)), 3.0)
    assert np.allclose(layer.mixture_weights(), [1 / 3] * 3)
    layer.mixture_logits.assign(np.array([math.log(3.0), 0.0, -1e4], dtype="float32"))
    assert np.allclose(layer.mixture_weights(), [0.75, 0.25, 0.0], atol=1e-6)
    assert np.allclose(np.asarray(layer(xs)), 0.75 * 1.0 + 0.25 * 2.0, atol=1e-6)
