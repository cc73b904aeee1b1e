"""Keras 3 text classifier with `TextVectorization` inside the model (keras.io's own pattern).

As keras.io's end-to-end model, it takes strings of shape `(1,)`: one text per
row of a `[batch, 1]` Tensor.
"""

from pathlib import Path

import keras
import tensorflow as tf

NUM_CLASSES = 4
INPUT_SIGNATURE = tf.TensorSpec([None, 1], tf.string, name="text")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}
# The vocabulary is given, not adapted in training: build_model() must rebuild it.
VOCABULARY = Path(__file__).with_name("vocabulary.txt").read_text().split()


def build_model():
    vectorize = keras.layers.TextVectorization(
        max_tokens=len(VOCABULARY) + 2, output_sequence_length=16, vocabulary=VOCABULARY
    )
    texts = keras.Input([1], dtype="string", name="text")
    x = keras.layers.Embedding(len(VOCABULARY) + 2, 16)(vectorize(texts))
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dropout(0.25)(x)
    return keras.Model(texts, keras.layers.Dense(NUM_CLASSES)(x), name="text_vectorization")


def build_training_model(model):
    return model
