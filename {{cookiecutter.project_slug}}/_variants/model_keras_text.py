{%- set piece = cookiecutter.model_type == "keras_piece" -%}
{% if piece -%}
"""The example network: a text encoder, trained inside a classifier, exported alone.

This is the TF Hub guide's pattern for sharing a piece of a Keras model: build
the piece as its own model, train the full model around it, export the piece.
{%- else -%}
"""The example network: a whole Keras text classifier, exported as it was trained.
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

from {{ cookiecutter.package_name }}.tokenizer import Tokenizer

NUM_CLASSES = 4
EMBEDDING_SIZE = 32
{%- if piece %}
NUM_FEATURES = 32
{%- endif %}
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99

# Consumers feed one string per example; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
{%- if piece %}
# The model returns a dict: the text's feature vector under this key, which
# is what a classifier head is stacked on, and the per-token features under
# "sequence_output".
OUTPUT_KEY = "pooled_output"
{%- else %}
# Logits, not probabilities: consumers fine-tune with a from_logits loss.
OUTPUT_KEY = "logits"
{%- endif %}
# Keyword arguments of `model(...)` that consumers may set (as Tensors too), with
# the values training used as their defaults.
HYPERPARAMETERS = {"dropout_rate": DROPOUT_RATE}


class {{ "TextEncoder" if piece else "TextClassifier" }}(keras.Model):
    """Tokens -> embedding -> mean over the text -> batch norm -> dropout -> dense."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size
        regularizer = keras.regularizers.L2(L2_WEIGHT)
        self.tokenizer = Tokenizer()
        self.embedding = keras.layers.Embedding(
            self.tokenizer.vocabulary_size, EMBEDDING_SIZE, embeddings_regularizer=regularizer
        )
        self.batch_norm = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM)
        self.dense = keras.layers.Dense(output_size, kernel_regularizer=regularizer)

    def call(self, texts, training=False, dropout_rate=DROPOUT_RATE):
        ids = self.tokenizer(texts)
        mask = tf.cast(ids >= 0, tf.float32)[:, :, None]
        # Padding positions look up id 0 and are then zeroed by the mask.
        tokens = self.embedding(tf.maximum(ids, 0)) * mask
        x = tf.reduce_sum(tokens, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        x = self.batch_norm(x, training=training)
        if training:
            # Not a Dropout layer: its rate is a Python float fixed at export, while
            # tf.nn.dropout takes a Tensor that consumers can set. Only before the
            # last layer: the exported output itself is never dropped.
            x = tf.nn.dropout(x, rate=dropout_rate)
        {%- if piece %}
        return {"pooled_output": self.dense(x), "sequence_output": tokens}
        {%- else %}
        return self.dense(x)
        {%- endif %}

    def get_config(self):
        # What Keras' own saving (model.save("x.keras")) records to rebuild the model.
        return {**super().get_config(), "output_size": self.output_size}


def build_model():
    {%- if piece %}
    model = TextEncoder(NUM_FEATURES, name="text_encoder")
    {%- else %}
    model = TextClassifier(NUM_CLASSES, name="text_classifier")
    {%- endif %}
    model(tf.constant([""]))  # Creates the variables.
    return model


def build_training_model(model):
    {%- if piece %}
    """The full model: the piece plus a classification head that is not exported."""
    texts = keras.Input([], dtype=tf.string, name="text")
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(texts)[OUTPUT_KEY])
    return keras.Model(texts, logits, name="classifier")
    {%- else %}
    """The whole model is trained and exported."""
    return model
    {%- endif %}
