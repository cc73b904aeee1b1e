"""A `keras.applications` backbone as the exported piece: MobileNetV3Small, no download."""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "feature_vector"
HYPERPARAMETERS = {}


def build_model():
    return keras.applications.MobileNetV3Small(
        input_shape=INPUT_SIGNATURE.shape[1:], weights=None, include_top=False, pooling="avg",
        minimalistic=True, alpha=0.75,
    )


def build_training_model(model):
    images = keras.Input(INPUT_SIGNATURE.shape[1:])
    return keras.Model(images, keras.layers.Dense(NUM_CLASSES)(model(images)))
