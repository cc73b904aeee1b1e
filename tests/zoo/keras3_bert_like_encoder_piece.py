"""Keras 3, an encoder piece of several inputs with dict outputs, as TF Hub's BERT encoders are.

It takes `input_word_ids`, `input_mask` and `input_type_ids` (token ids that a
tokenizer outside the model made) and returns `pooled_output` and
`sequence_output`. It defines no `example_inputs`: the exporter's guess
(integers below 10) is within its vocabulary and types; a mask above 1 counts
as 1.
"""

import keras
import tensorflow as tf

NUM_CLASSES = 10
VOCABULARY_SIZE = 32
NUM_TYPES = 10
SEQUENCE_LENGTH = 16
NUM_FEATURES = 32
INPUT_SIGNATURE = {
    name: tf.TensorSpec([None, SEQUENCE_LENGTH], tf.int32)
    for name in ("input_word_ids", "input_mask", "input_type_ids")
}
OUTPUT_KEY = "pooled_output"
HYPERPARAMETERS = {}


def encoder_inputs():
    return {name: keras.Input(spec.shape[1:], dtype="int32", name=name)
            for name, spec in INPUT_SIGNATURE.items()}


def build_model():
    inputs = encoder_inputs()
    tokens = keras.layers.Add()([
        keras.layers.Embedding(VOCABULARY_SIZE, NUM_FEATURES)(inputs["input_word_ids"]),
        keras.layers.Embedding(NUM_TYPES, NUM_FEATURES)(inputs["input_type_ids"]),
    ])
    sequence = keras.layers.Dense(
        NUM_FEATURES, activation="tanh", kernel_regularizer=keras.regularizers.L2(1e-4)
    )(tokens)
    # Zero past the end of each text, as the mask says.
    mask = keras.ops.cast(keras.ops.minimum(inputs["input_mask"], 1), "float32")
    sequence = keras.layers.Multiply()([sequence, keras.layers.Reshape([SEQUENCE_LENGTH, 1])(mask)])
    pooled = keras.layers.Dense(NUM_FEATURES)(keras.layers.GlobalAveragePooling1D()(sequence))
    outputs = {"pooled_output": pooled, "sequence_output": sequence}
    return keras.Model(inputs, outputs, name="encoder")


def build_training_model(model):
    """The full model: the encoder plus a classification head that is not exported."""
    inputs = encoder_inputs()
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(inputs)[OUTPUT_KEY])
    return keras.Model(inputs, logits, name="classifier")
