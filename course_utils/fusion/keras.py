"""Keras 3 fusion layers that later chapters reuse (notebook 01 builds them in the open)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402


@keras.saving.register_keras_serializable(package="course_utils")
class WeightedAverage(keras.layers.Layer):
    """Learned convex combination of several same-shape inputs (weights = softmax of logits).

    Logits start at zero, so each of the ``n`` inputs begins with weight ``1 / n``.
    """

    def build(self, input_shape):
        n_inputs = len(input_shape)
        self.logits = self.add_weight(shape=(n_inputs,), initializer="zeros", name="logits")

    def call(self, inputs):
        stacked = ops.stack(list(inputs), axis=-1)
        return ops.sum(stacked * ops.softmax(self.logits), axis=-1)

    def fusion_weights(self) -> np.ndarray:
        """The current normalised weights as a NumPy array."""
        return ops.convert_to_numpy(ops.softmax(self.logits))

    def compute_output_shape(self, input_shape):
        return input_shape[0]
