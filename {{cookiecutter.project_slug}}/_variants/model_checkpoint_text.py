{%- set embedding = cookiecutter.task == "text-embedding" -%}
"""The example network in low-level TensorFlow: a `tf.Module` with hand-made variables.

The TF Hub guide's `MyMulModel` grown into a small but real text model.
Replace it with your own (copy and edit).

{% include "_variants/contract.md" %}"""

import tensorflow as tf

from {{ cookiecutter.package_name }}.tokenizer import Tokenizer

NUM_CLASSES = 4
EMBEDDING_SIZE = 32
{%- if embedding %}
NUM_FEATURES = 32
{%- endif %}
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99
BATCH_NORM_EPSILON = 1e-3

# Consumers feed one string per example; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")
{%- if embedding %}
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


class Dense(tf.Module):
    """y = x @ kernel + bias, with an L2 penalty on the kernel."""

    def __init__(self, input_size, output_size, name=None):
        super().__init__(name=name)
        initializer = tf.initializers.GlorotUniform(seed=1)
        self.kernel = tf.Variable(initializer([input_size, output_size]), name="kernel")
        self.bias = tf.Variable(tf.zeros([output_size]), name="bias")

    @property
    def losses(self):
        return [L2_WEIGHT * tf.reduce_sum(tf.square(self.kernel))]

    def __call__(self, x):
        return tf.matmul(x, self.kernel) + self.bias


class TextNet(tf.Module):
    """Tokens -> embedding -> mean over the text -> batch norm -> dropout -> dense.

    Batch norm keeps moving statistics in non-trainable variables: training
    normalizes with the batch statistics and updates them, inference uses them.
    """

    def __init__(self, output_size, name=None):
        super().__init__(name=name)
        self.tokenizer = Tokenizer()
        initializer = tf.initializers.RandomUniform(-0.05, 0.05, seed=0)
        self.embeddings = tf.Variable(
            initializer([self.tokenizer.vocabulary_size, EMBEDDING_SIZE]), name="embeddings"
        )
        self.gamma = tf.Variable(tf.ones([EMBEDDING_SIZE]), name="gamma")
        self.beta = tf.Variable(tf.zeros([EMBEDDING_SIZE]), name="beta")
        # Under a tf.distribute strategy each replica updates its own statistics,
        # and reading them (to save a checkpoint) averages the replicas.
        statistic = {
            "trainable": False,
            "synchronization": tf.VariableSynchronization.ON_READ,
            "aggregation": tf.VariableAggregation.MEAN,
        }
        self.moving_mean = tf.Variable(tf.zeros([EMBEDDING_SIZE]), name="moving_mean", **statistic)
        self.moving_variance = tf.Variable(
            tf.ones([EMBEDDING_SIZE]), name="moving_variance", **statistic
        )
        self.dense = Dense(EMBEDDING_SIZE, output_size, name="dense")

    @property
    def losses(self):
        return [L2_WEIGHT * tf.reduce_sum(tf.square(self.embeddings)), *self.dense.losses]

    def __call__(self, texts, training=False, dropout_rate=DROPOUT_RATE):
        ids = self.tokenizer(texts)
        mask = tf.cast(ids >= 0, tf.float32)[:, :, None]
        # Padding positions look up id 0 and are then zeroed by the mask.
        tokens = tf.gather(self.embeddings, tf.maximum(ids, 0)) * mask
        x = tf.reduce_sum(tokens, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        if training:
            mean, variance = tf.nn.moments(x, axes=[0])
            self.moving_mean.assign(
                BATCH_NORM_MOMENTUM * self.moving_mean + (1 - BATCH_NORM_MOMENTUM) * mean
            )
            self.moving_variance.assign(
                BATCH_NORM_MOMENTUM * self.moving_variance + (1 - BATCH_NORM_MOMENTUM) * variance
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        x = tf.nn.batch_normalization(
            x, mean, variance, self.beta, self.gamma, BATCH_NORM_EPSILON
        )
        if training:
            # Dropout before the last layer only: the exported output is never dropped.
            x = tf.nn.dropout(x, rate=dropout_rate)
        {%- if embedding %}
        return {"pooled_output": self.dense(x), "sequence_output": tokens}
        {%- else %}
        return self.dense(x)
        {%- endif %}
{% if embedding %}

class Classifier(tf.Module):
    """The text encoder plus a classification head that is not exported."""

    def __init__(self, encoder, name=None):
        super().__init__(name=name)
        self.encoder = encoder
        self.head = Dense(NUM_FEATURES, NUM_CLASSES, name="head")

    @property
    def losses(self):
        return [*self.encoder.losses, *self.head.losses]

    def __call__(self, texts, training=False, dropout_rate=DROPOUT_RATE):
        return self.head(self.encoder(texts, training, dropout_rate)[OUTPUT_KEY])


def build_model():
    return TextNet(NUM_FEATURES, name="text_encoder")


def build_training_model(model):
    return Classifier(model, name="classifier")
{%- else %}

def build_model():
    return TextNet(NUM_CLASSES, name="text_classifier")


def build_training_model(model):
    """The whole module is trained and exported."""
    return model
{%- endif %}
