"""Keras 3 text encoder as the exported piece: `TextVectorization`, masked bidirectional LSTM.

Its `TextVectorization` is adapted in `build_model()`, as keras.io's examples
do: the layer then also holds the word counts of `adapt` (a MutableHashTable
that no call reads), which the export leaves out.

A recurrent layer runs a `While` loop over tensor lists (TFLite runs them as
Flex ops), and Keras 3 draws its dropout masks on every call, inference too,
so its random-number state moves although its outputs do not.
"""

from pathlib import Path

import keras
import tensorflow as tf

NUM_CLASSES = 4
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
OUTPUT_KEY = "pooled_output"
HYPERPARAMETERS = {}
VOCABULARY = Path(__file__).with_name("vocabulary.txt").read_text().split()


def build_model():
    vectorize = keras.layers.TextVectorization(
        max_tokens=len(VOCABULARY) + 2, output_sequence_length=16
    )
    vectorize.adapt(tf.constant(VOCABULARY))
    texts = keras.Input([], dtype="string", name="text")
    tokens = keras.layers.Embedding(len(VOCABULARY) + 2, 16, mask_zero=True)(vectorize(texts))
    sequence = keras.layers.Bidirectional(
        keras.layers.LSTM(16, return_sequences=True, dropout=0.1)
    )(tokens)
    pooled = keras.layers.GlobalAveragePooling1D()(sequence)  # Over the words, not the padding.
    outputs = {"pooled_output": pooled, "sequence_output": sequence}
    return keras.Model(texts, outputs, name="recurrent_encoder")


def build_training_model(model):
    texts = keras.Input([], dtype="string", name="text")
    logits = keras.layers.Dense(NUM_CLASSES)(model(texts)[OUTPUT_KEY])
    return keras.Model(texts, logits, name="classifier")
