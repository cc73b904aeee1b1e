"""Keras 3 subclassed model with two hyperparameters consumers may set: dropout and temperature.

Its convolution has an activity regularizer beside its weight regularizers: a
penalty on each call's outputs, which training adds and the export leaves out.
"""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {"dropout_rate": 0.1, "temperature": 1.0}


class Tempered(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        l2 = keras.regularizers.L2(1e-4)
        self.conv = keras.layers.Conv2D(
            8, 3, strides=2, kernel_regularizer=l2, activity_regularizer=keras.regularizers.L1(1e-5)
        )
        self.dense = keras.layers.Dense(NUM_CLASSES, kernel_regularizer=l2)

    def call(self, images, training=False, dropout_rate=0.1, temperature=1.0):
        x = keras.ops.mean(keras.activations.relu(self.conv(images)), axis=(1, 2))
        if training:
            x = tf.nn.dropout(x, rate=dropout_rate)
        return self.dense(x) / temperature


def build_model():
    model = Tempered(name="tempered")
    model(tf.zeros([1, *INPUT_SIGNATURE.shape[1:]]))
    return model


def build_training_model(model):
    return model
