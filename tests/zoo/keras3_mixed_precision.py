"""Keras 3 CNN trained in mixed precision, the policy set where the model is defined.

`keras.config.set_dtype_policy("mixed_bfloat16")` at import: the layers compute
in bfloat16 and keep float32 variables, and the last one returns float32, as
Keras' mixed-precision guide says. The policy is global: the tests make their
Keras consumers (TFSMLayer, the doc's examples) with Keras' default policy, as
a consumer's process has it. TFLite's builtin kernels have no bfloat16
convolution, so the doc's TFLite example converts with TensorFlow ops.
"""

import keras
import tensorflow as tf

keras.config.set_dtype_policy("mixed_bfloat16")

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


def build_model():
    inputs = keras.Input((32, 32, 3), name="images")
    x = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", kernel_regularizer="l2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(NUM_CLASSES, dtype="float32")(x)
    return keras.Model(inputs, outputs, name="mixed_cnn")


def build_training_model(model):
    return model
