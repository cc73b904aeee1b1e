"""Keras 3, subclassed, on grayscale images: blocks in a list, heads in a dict, L2, Dropout."""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 1], tf.float32, name="images")  # Grayscale.
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


class Block(keras.layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(
            filters, 3, strides=2, padding="same", kernel_regularizer=keras.regularizers.L2(1e-4)
        )
        self.norm = keras.layers.BatchNormalization()

    def call(self, x, training=False):
        return keras.activations.relu(self.norm(self.conv(x), training=training))


class ListNet(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [Block(8), Block(16)]
        self.heads = {"logits": keras.layers.Dense(NUM_CLASSES), "unused": keras.layers.Dense(2)}
        self.dropout = keras.layers.Dropout(0.2)

    def call(self, images, training=False):
        x = images
        for block in self.blocks:
            x = block(x, training=training)
        x = self.dropout(keras.ops.mean(x, axis=(1, 2)), training=training)
        return self.heads["logits"](x)


def build_model():
    model = ListNet(name="list_net")
    model(tf.zeros([1, *INPUT_SIGNATURE.shape[1:]]))
    return model


def build_training_model(model):
    return model
