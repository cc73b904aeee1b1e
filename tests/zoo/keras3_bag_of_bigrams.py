"""Keras 3 bag-of-bigrams classifier: `TextVectorization(output_mode="tf_idf", ngrams=2)`.

The classic baseline of text classification, adapted in `build_model()` on a
fixed corpus (its vocabulary and IDF weights then come from there, and the
checkpoint restores the weights on top). TFLite cannot run it: the bigrams
come from `StringNGrams`, for which TFLite has no kernel, builtin or Flex.
"""

from pathlib import Path

import keras
import tensorflow as tf

NUM_CLASSES = 4
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}
WORDS = Path(__file__).with_name("vocabulary.txt").read_text().split()
# The corpus adapt() reads: fixed, so every build_model() gets the same vocabulary.
CORPUS = [" ".join(WORDS[start:start + 5]) for start in range(0, len(WORDS), 3)]


def build_model():
    vectorize = keras.layers.TextVectorization(
        max_tokens=400, output_mode="tf_idf", ngrams=2, name="bag_of_bigrams"
    )
    vectorize.adapt(tf.constant(CORPUS))
    texts = keras.Input([], dtype="string", name="text")
    x = keras.layers.Dense(32, activation="relu", name="hidden")(vectorize(texts))
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(texts, keras.layers.Dense(NUM_CLASSES)(x), name="bag_of_bigrams_model")


def build_training_model(model):
    return model
