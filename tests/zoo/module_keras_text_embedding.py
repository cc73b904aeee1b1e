"""A `tf.Module` built from Keras 3 layers held in a dict: StringLookup and Embedding, dict outputs.

`tf.Module.variables` finds only `tf.Variable` attributes, not the variables of
Keras 3 layers: the module lists them itself (their `tf.Variable`s, which
TensorFlow's optimizers and gradient tapes work with).
"""

from pathlib import Path

import keras
import tensorflow as tf

NUM_CLASSES = 4
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
OUTPUT_KEY = "pooled_output"
HYPERPARAMETERS = {"dropout_rate": 0.1}
VOCABULARY = Path(__file__).with_name("vocabulary.txt").read_text().split()


class Encoder(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.layers = {
            "lookup": keras.layers.StringLookup(vocabulary=VOCABULARY, num_oov_indices=2),
            "embedding": keras.layers.Embedding(
                len(VOCABULARY) + 2, 32, embeddings_regularizer=keras.regularizers.L2(1e-4)
            ),
        }
        self.layers["embedding"].build((None,))

    @property
    def variables(self):
        return [v.value for layer in self.layers.values() for v in layer.variables]

    @property
    def trainable_variables(self):
        return [v.value for layer in self.layers.values() for v in layer.trainable_variables]

    @property
    def losses(self):
        return self.layers["embedding"].losses

    def __call__(self, texts, training=False, dropout_rate=0.1):
        words = tf.strings.split(tf.strings.lower(texts)).to_tensor("", shape=[None, 16])
        tokens = self.layers["embedding"](self.layers["lookup"](words))
        pooled = tf.reduce_mean(tokens, axis=1)
        if training:
            pooled = tf.nn.dropout(pooled, rate=dropout_rate)
        return {"pooled_output": pooled, "sequence_output": tokens}


class Classifier(tf.Module):
    def __init__(self, encoder, name=None):
        super().__init__(name=name)
        self.encoder = encoder
        self.head = keras.layers.Dense(NUM_CLASSES)
        self.head.build((None, 32))

    @property
    def variables(self):
        return [*self.encoder.variables, *(v.value for v in self.head.variables)]

    @property
    def trainable_variables(self):
        return [*self.encoder.trainable_variables, *(v.value for v in self.head.variables)]

    @property
    def losses(self):
        return self.encoder.losses

    def __call__(self, texts, training=False, dropout_rate=0.1):
        return self.head(self.encoder(texts, training, dropout_rate)[OUTPUT_KEY])


def build_model():
    return Encoder(name="encoder")


def build_training_model(model):
    return Classifier(model, name="classifier")
