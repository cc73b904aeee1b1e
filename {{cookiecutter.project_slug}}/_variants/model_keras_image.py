{%- set piece = cookiecutter.model_type == "keras_piece" -%}
{% if piece -%}
"""The example network: a feature extractor, trained inside a classifier, exported alone.

This is the TF Hub guide's pattern for sharing a piece of a Keras model: build
the piece as its own model, train the full model around it, export the piece.
{%- else -%}
"""The example network: a whole Keras model, exported as it was trained.
{%- endif %}

Replace it with your own (copy and edit).

{% include "_variants/contract.md" %}"""

{% if cookiecutter.keras_flavour == "tf_keras" -%}
import tensorflow as tf
import tf_keras as keras
{%- else -%}
import keras
import tensorflow as tf
{%- endif %}

IMAGE_SIZE = {{ cookiecutter.image_size }}
NUM_CLASSES = 10
{%- if piece %}
NUM_FEATURES = 64
{%- endif %}
FILTERS = (16, 32)
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99

# Consumers feed float32 images in [0, 1]; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")
{%- if piece %}
OUTPUT_KEY = "feature_vector"
{%- else %}
# Logits, not probabilities: consumers fine-tune with a from_logits loss.
OUTPUT_KEY = "logits"
{%- endif %}
# Keyword arguments of `model(...)` that consumers may set (as Tensors too), with
# the values training used as their defaults.
HYPERPARAMETERS = {"dropout_rate": DROPOUT_RATE}


class {{ "FeatureExtractor" if piece else "Classifier" }}(keras.Model):
    """(conv -> batch norm -> relu) x 2 -> global average pool -> dropout -> dense."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size
        regularizer = keras.regularizers.L2(L2_WEIGHT)
        self.body = keras.Sequential(name="body")
        for filters in FILTERS:
            self.body.add(keras.layers.Conv2D(filters, 3, strides=2, padding="same",
                                              use_bias=False, kernel_regularizer=regularizer))
            self.body.add(keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM))
            self.body.add(keras.layers.ReLU())
        self.body.add(keras.layers.GlobalAveragePooling2D())
        self.dense = keras.layers.Dense(output_size, kernel_regularizer=regularizer)

    def call(self, images, training=False, dropout_rate=DROPOUT_RATE):
        x = self.body(images, training=training)
        if training:
            # Not a Dropout layer: its rate is a Python float fixed at export, while
            # tf.nn.dropout takes a Tensor that consumers can set. Only before the
            # last layer: the exported output itself is never dropped.
            x = tf.nn.dropout(x, rate=dropout_rate)
        return self.dense(x)

    def get_config(self):
        # What Keras' own saving (model.save("x.keras")) records to rebuild the model.
        return {**super().get_config(), "output_size": self.output_size}


def build_model():
    {%- if piece %}
    model = FeatureExtractor(NUM_FEATURES, name="feature_extractor")
    {%- else %}
    model = Classifier(NUM_CLASSES, name="classifier")
    {%- endif %}
    model(tf.zeros([1, *INPUT_SIGNATURE.shape[1:]]))  # Creates the variables.
    return model


def build_training_model(model):
    {%- if piece %}
    """The full model: the piece plus a classification head that is not exported."""
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(images))
    return keras.Model(images, logits, name="classifier")
    {%- else %}
    """The whole model is trained and exported."""
    return model
    {%- endif %}
