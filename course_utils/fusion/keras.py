"""Keras 3 fusion layers that later chapters reuse (notebook 01 builds them in the open)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402


@keras.saving.register_keras_serializable(package="course_utils")
class SoftmaxMixture(keras.layers.Layer):
    """Learned convex combination of a list of same-shape inputs: ``sum_i w_i x_i`` with
    ``w = softmax(mixture_logits)``, the logits starting at zero (each of ``n`` inputs weighs
    ``1 / n``). Notebook 02's late fusion of two models' probabilities uses it; notebook 01
    writes the PyTorch version of the idea.
    """

    def build(self, input_shape):
        self.mixture_logits = self.add_weight(shape=(len(input_shape),), initializer="zeros", name="mixture_logits")

    def call(self, inputs):
        weights = ops.softmax(self.mixture_logits)
        mixed = weights[0] * inputs[0]
        for i in range(1, len(inputs)):
            mixed = mixed + weights[i] * inputs[i]
        return mixed

    def mixture_weights(self) -> np.ndarray:
        """The current weights (a NumPy array summing to 1), one per input."""
        return ops.convert_to_numpy(ops.softmax(self.mixture_logits))

    def compute_output_shape(self, input_shape):
        return input_shape[0]
