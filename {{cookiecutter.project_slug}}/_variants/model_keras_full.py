"""The example network: a whole Keras model, exported as it was trained.

Replace `build_model` with your own network (copy and edit). The rest of the
project relies only on this module's names:

- `build_model()` returns the model to export, with all variables created
  (a functional model is built on construction, so a checkpoint restores into it);
- `build_training_model(model)` returns what `train.py` fits: here the model itself;
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
NUM_CLASSES = 10
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99

# Consumers feed float32 images in [0, 1]; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")
# Logits, not probabilities: consumers fine-tune with a from_logits loss.
OUTPUT_KEY = "logits"


def build_model():
    """conv -> batch norm -> relu (twice) -> global average pool -> dropout -> dense logits."""
    regularizer = keras.regularizers.L2(L2_WEIGHT)
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    x = images
    for filters in (16, 32):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False,
                                kernel_regularizer=regularizer)(x)
        x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    # Dropout before the last layer only: the exported output itself is never dropped.
    x = keras.layers.Dropout(DROPOUT_RATE)(x)
    logits = keras.layers.Dense(NUM_CLASSES, kernel_regularizer=regularizer, name="logits")(x)
    return keras.Model(images, logits, name="classifier")


def build_training_model(model):
    """The whole model is trained and exported."""
    return model
