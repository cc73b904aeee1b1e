"""Keras 3 piece: a Normalization adapted in training, augmentation, a nested Sequential backbone.

The normalization's statistics exist only in the checkpoint: `build_model()`
builds it unadapted, as a model rebuilt for export is. The backbone's stem
(convolution and batch norm) is frozen, as transfer learning freezes a
pretrained part: its weights are variables but not trainable ones, and its
batch norm normalizes with its moving statistics even in training.

The augmentation is Keras 3's own, geometric and colour, RandAugment and AugMix
among it. AugMix draws the ops it chains while it is traced, so two exports of
one checkpoint write the same graph only with Python's and NumPy's random
numbers seeded in `build_model()`.
"""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "feature_vector"
HYPERPARAMETERS = {}


def build_model():
    keras.utils.set_random_seed(0)  # AugMix's trace draws the ops it chains.
    augment = keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.1),
        keras.layers.RandomColorJitter(
            value_range=(0, 1), brightness_factor=0.1, contrast_factor=0.1, hue_factor=0.1
        ),
        keras.layers.RandomErasing(value_range=(0, 1)),
        keras.layers.RandAugment(value_range=(0, 1)),
        keras.layers.AugMix(value_range=(0, 1)),
        keras.layers.GaussianNoise(0.05),
    ], name="augment")
    stem = keras.Sequential([
        keras.layers.Conv2D(8, 3, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
    ], name="stem")
    stem.trainable = False
    backbone = keras.Sequential([
        stem,
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
    ], name="backbone")
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    normalized = keras.layers.Normalization(name="normalize")(images)
    features = keras.layers.Dense(64)(backbone(augment(normalized)))
    return keras.Model(images, features, name="augmented")


def build_training_model(model):
    # As keras.io adapts a Normalization: on the training images, before training.
    from image_model.data import synthetic_examples  # Here: data.py imports this module.

    model.get_layer("normalize").adapt(synthetic_examples(256, seed=0)[0])
    images = keras.Input(INPUT_SIGNATURE.shape[1:])
    return keras.Model(images, keras.layers.Dense(NUM_CLASSES)(model(images)))
