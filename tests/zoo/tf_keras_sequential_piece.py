"""tf_keras Sequential feature extractor on image patches; Dropout, no regularizer, no batch norm.

It returns a sequence, one feature vector per patch (`[batch, 16, 64]`), as a
vision transformer's encoder does, for a head that attends or pools. Its
patches come from `tf.image.extract_patches`, as in keras.io's Keras 2
vision transformer: TFLite has no builtin kernel for that op, so the model doc's
TFLite example converts with TensorFlow ops enabled (`SELECT_TF_OPS`).
"""

import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "feature_vector"
HYPERPARAMETERS = {}
PATCH_SIZE = 8


class Patches(keras.layers.Layer):
    """Cuts images into non-overlapping square patches: [batch, patches, patch pixels]."""

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, images):
        patches = tf.image.extract_patches(
            images,
            sizes=[1, self.size, self.size, 1],
            strides=[1, self.size, self.size, 1],
            rates=[1, 1, 1, 1],
            padding="VALID",
        )
        return tf.reshape(patches, [tf.shape(images)[0], -1, patches.shape[-1]])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def build_model():
    return keras.Sequential([
        keras.Input(INPUT_SIGNATURE.shape[1:]),
        Patches(PATCH_SIZE),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64),
    ], name="sequential_piece")


def build_training_model(model):
    return keras.Sequential(
        [model, keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(NUM_CLASSES)],
        name="classifier",
    )
