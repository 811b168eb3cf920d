"""Keras 3 fusion layers and helpers that notebook 02 builds on."""
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


def feature_extractor(model: keras.Model, layer_name: str) -> keras.Model:
    """A sub-model sharing ``model``'s layers that outputs the layer called ``layer_name``."""
    return keras.Model(inputs=model.inputs, outputs=model.get_layer(layer_name).output,
                       name=f"{model.name}_{layer_name}")


def build_late_fusion(tabular_model: keras.Model, vision_model: keras.Model, n_classes: int) -> keras.Model:
    """Late fusion: frozen branch models, their class probabilities concatenated → Dense softmax.

    Inputs are ``[tabular, vision]``. The branches are frozen in place (``trainable = False``).
    """
    tabular_model.trainable = False
    vision_model.trainable = False
    tabular_in = keras.Input(shape=tabular_model.input_shape[1:], name="tabular")
    vision_in = keras.Input(shape=vision_model.input_shape[1:], name="vision")
    probs = keras.layers.Concatenate(name="probabilidades")([tabular_model(tabular_in), vision_model(vision_in)])
    output = keras.layers.Dense(n_classes, activation="softmax", name="late_fusion_output")(probs)
    return keras.Model([tabular_in, vision_in], output, name="late_fusion")
