"""The example network: a feature extractor, trained inside a classifier, exported alone.

This is the TF Hub guide's first pattern for sharing a piece of a Keras model:
build the piece as its own model, train the full model around it, export the
piece. Replace `build_model` with your own extractor (copy and edit). The rest
of the project relies only on this module's names:

- `build_model()` returns the piece to export, with all variables created;
- `build_training_model(model)` returns the full model `train.py` fits;
- `INPUT_SIGNATURE` and `OUTPUT_KEY` fix the exported interface.
"""

{% if cookiecutter.keras_flavour == "tf_keras" -%}
import tensorflow as tf
import tf_keras as keras
{%- else -%}
import keras
import tensorflow as tf
{%- endif %}

IMAGE_SIZE = {{ cookiecutter.image_size }}
NUM_FEATURES = 64
NUM_CLASSES = 10
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99

# Consumers feed float32 images in [0, 1]; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")
OUTPUT_KEY = "feature_vector"


def build_model():
    """conv -> batch norm -> relu (twice) -> global average pool -> dropout -> dense features."""
    regularizer = keras.regularizers.L2(L2_WEIGHT)
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    x = images
    for filters in (16, 32):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False,
                                kernel_regularizer=regularizer)(x)
        x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    # Dropout before the last layer only: the exported features are never dropped.
    x = keras.layers.Dropout(DROPOUT_RATE)(x)
    features = keras.layers.Dense(NUM_FEATURES, kernel_regularizer=regularizer,
                                  name="feature_vector")(x)
    return keras.Model(images, features, name="feature_extractor")


def build_training_model(model):
    """The full model: the piece plus a classification head that is not exported."""
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(images))
    return keras.Model(images, logits, name="classifier")
