"""Keras 3, functional, any image size: GELU, batch norm, plain `Dropout`; no regularizer.

It returns a dict, its logits and the features under them: training and the
doc's `hub.KerasLayer` examples use the `OUTPUT_KEY` entry. No hyperparameters.
Height and width are None in its input signature, as in TF Hub image models
that take any size: the project's data and tests feed it the size the project
was made with. Its activations are quantized with a straight-through estimator,
a `tf.custom_gradient`, as in quantization-aware training: the SavedModel
keeps the gradient, and fine-tuning through it needs it.
"""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, None, None, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


@tf.custom_gradient
def quantized(x):
    """Rounded to steps of 1/16; the gradient passes through unchanged."""
    return tf.round(x * 16.0) / 16.0, lambda upstream: upstream


class Quantize(keras.layers.Layer):
    def call(self, inputs):
        return quantized(inputs)


def build_model():
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="gelu")(images)
    x = keras.layers.BatchNormalization()(x)
    x = Quantize()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.layers.Dropout(0.3)(x)
    logits = keras.layers.Dense(NUM_CLASSES)(features)
    return keras.Model(
        images, {"logits": logits, "features": features}, name="functional_dropout"
    )


def build_training_model(model):
    return model
