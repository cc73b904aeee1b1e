"""tf_keras (Keras 2), a recurrent encoder piece of several inputs: a GRU and an LSTM.

A dict of `input_word_ids`, `input_mask` and `input_type_ids` (token ids that
a tokenizer outside the model made), a dict of `pooled_output` and
`sequence_output` back. A `GRU` and an `LSTM` encode: tf_keras traces a cuDNN
branch beside the plain one in each (`CudnnRNNV3`), which the op scan allows,
and names the pair with a random UUID, which the export replaces
(`exporter/fingerprint.py`) so that two exports are the same bytes. TFLite
needs Select TF ops for their tensor lists.
It defines no `example_inputs`: the exporter's guess (ids below 10, a mask
and type ids of small integers) is within its vocabulary and types.
"""

import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 4
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
    return {name: keras.Input(spec.shape[1:], dtype=spec.dtype, name=name)
            for name, spec in INPUT_SIGNATURE.items()}


def build_model():
    inputs = encoder_inputs()
    tokens = keras.layers.Add()([
        keras.layers.Embedding(VOCABULARY_SIZE, NUM_FEATURES)(inputs["input_word_ids"]),
        keras.layers.Embedding(NUM_TYPES, NUM_FEATURES)(inputs["input_type_ids"]),
    ])
    # Zero past the end of each text, as the mask says.
    mask = keras.layers.Reshape([SEQUENCE_LENGTH, 1])(inputs["input_mask"])
    tokens = keras.layers.Multiply()([tokens, keras.layers.Lambda(lambda m: tf.cast(
        tf.minimum(m, 1), tf.float32))(mask)])
    sequence = keras.layers.GRU(NUM_FEATURES, return_sequences=True)(tokens)
    pooled = keras.layers.LSTM(NUM_FEATURES)(sequence)
    outputs = {"pooled_output": pooled, "sequence_output": sequence}
    return keras.Model(inputs, outputs, name="encoder")


def build_training_model(model):
    """The full model: the encoder plus a classification head that is not exported."""
    inputs = encoder_inputs()
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(inputs)[OUTPUT_KEY])
    return keras.Model(inputs, logits, name="classifier")
