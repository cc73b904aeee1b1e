"""tf_keras Sequential feature extractor with Dropout, no regularizer, no batch norm."""

import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "feature_vector"
HYPERPARAMETERS = {}


def build_model():
    return keras.Sequential([
        keras.Input(INPUT_SIGNATURE.shape[1:]),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64),
    ], name="sequential_piece")


def build_training_model(model):
    return keras.Sequential([model, keras.layers.Dense(NUM_CLASSES)], name="classifier")
