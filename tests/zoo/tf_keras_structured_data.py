"""tf_keras (Keras 2), functional, several inputs: a table's float, integer and string columns.

As keras.io's structured-data classifiers take them: a dict of named columns,
each its own `Input`. The integers are ids below `NUM_ROOMS` that an
`Embedding` reads; the strings are looked up in a given vocabulary (a lookup
table imported from constants, which TFLite's builtins run) and embedded.
`example_inputs` says what valid rows look like, which the exporter's guess
(integers below 10, other words) would not know.
"""

import numpy as np
import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 10
NUM_ROOMS = 6
CITIES = ("paris", "oslo", "lima", "quito")
INPUT_SIGNATURE = {
    "age": tf.TensorSpec([None, 1], tf.float32),
    "rooms": tf.TensorSpec([None, 1], tf.int32),
    "city": tf.TensorSpec([None, 1], tf.string),
}
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


def build_model():
    inputs = {name: keras.Input(spec.shape[1:], dtype=spec.dtype, name=name)
              for name, spec in INPUT_SIGNATURE.items()}
    rooms = keras.layers.Flatten()(keras.layers.Embedding(NUM_ROOMS, 4)(inputs["rooms"]))
    city_ids = keras.layers.StringLookup(vocabulary=list(CITIES))(inputs["city"])
    city = keras.layers.Flatten()(keras.layers.Embedding(len(CITIES) + 1, 2)(city_ids))
    features = keras.layers.Concatenate()([inputs["age"], rooms, city])
    hidden = keras.layers.Dense(
        16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)
    )(features)
    return keras.Model(inputs, keras.layers.Dense(NUM_CLASSES)(hidden), name="table")


def build_training_model(model):
    return model


def example_inputs(num_examples, seed=0):
    """Rows of the table: ages in [0, 1], room counts below NUM_ROOMS, known cities."""
    rng = np.random.default_rng(seed)
    return {
        "age": rng.uniform(size=(num_examples, 1)).astype(np.float32),
        "rooms": rng.integers(NUM_ROOMS, size=(num_examples, 1)).astype(np.int32),
        "city": rng.choice(np.array(CITIES, dtype=bytes), size=(num_examples, 1)),
    }
