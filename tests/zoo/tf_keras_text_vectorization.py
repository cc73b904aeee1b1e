"""tf_keras text classifier: `TextVectorization` in the model, as in tensorflow.org's tutorial.

Its vocabulary is given in `build_model()`: tf_keras checkpoints no adapted one
(the export refuses an unadapted lookup layer in one line).
"""

import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 4
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}
VOCABULARY = ["the", "a", "model", "is", "good", "bad", "text", "cat", "dog", "sat"]


def build_model():
    texts = keras.Input([], dtype=tf.string, name="text")
    vectorize = keras.layers.TextVectorization(
        vocabulary=VOCABULARY, output_sequence_length=8, name="vectorize"
    )
    x = keras.layers.Embedding(len(VOCABULARY) + 2, 8)(vectorize(texts))
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(texts, keras.layers.Dense(NUM_CLASSES)(x), name="vectorized")


def build_training_model(model):
    return model
