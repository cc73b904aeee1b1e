"""Keras 3, functional: a vision transformer (patches, attention with dropout, layer norm, MLP).

Grappler rewrites its loaded graph so that outputs differ from the in-memory
model's in the last bits (measured 1-2 ulps once trained): the verification
compares up to rounding, not bit for bit.
"""

import keras
import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


def build_model():
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    patches = keras.layers.Conv2D(16, 8, strides=8)(images)  # 4x4 patches, 16 features each.
    x = keras.layers.Reshape((16, 16))(patches)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1)(x, x)
    x = keras.layers.LayerNormalization()(x + attended)
    mlp = keras.layers.Dense(32, activation="gelu")(x)
    x = keras.layers.LayerNormalization()(x + keras.layers.Dense(16)(mlp))
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(images, keras.layers.Dense(NUM_CLASSES)(x), name="vision_transformer")


def build_training_model(model):
    return model
