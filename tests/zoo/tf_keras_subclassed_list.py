"""tf_keras (Keras 2), subclassed: layers in a list, Dropout, L2 and activity regularizers.

Its augmentation is part of the model, as tensorflow.org's tutorial has it:
tf_keras's random layers keep a `tf.random.Generator` each, whose state is no
weight of the model and in no checkpoint of it; the export saves it, seeded
in `build_model()` so that two exports are the same bytes.
"""

import tensorflow as tf
import tf_keras as keras

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


class Stack(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        l2 = keras.regularizers.L2(1e-4)
        self.augment = keras.Sequential(
            [keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1)],
            name="augment",
        )
        self.stages = [
            keras.layers.Conv2D(
                8, 3, strides=2, activation="relu", kernel_regularizer=l2,
                activity_regularizer=keras.regularizers.L1(1e-5),
            ),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.2),
        ]
        self.head = keras.layers.Dense(NUM_CLASSES)

    def call(self, images, training=False):
        x = self.augment(images, training=training)
        for stage in self.stages:
            x = stage(x, training=training)
        return self.head(x)


def build_model():
    keras.utils.set_random_seed(0)  # Seeds the random layers' generators.
    model = Stack(name="stack")
    model(tf.zeros([1, *INPUT_SIGNATURE.shape[1:]]))
    return model


def build_training_model(model):
    return model
