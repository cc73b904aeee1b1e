"""The example network in low-level TensorFlow: a `tf.Module` with hand-made variables.

The TF Hub guide's `MyMulModel` grown into a small but real convolutional net.
Replace it with your own (copy and edit).

{% include "_variants/contract.md" %}"""

import tensorflow as tf

IMAGE_SIZE = {{ cookiecutter.image_size }}
NUM_CLASSES = 10
{%- if cookiecutter.task == "image-feature-vector" %}
NUM_FEATURES = 64
{%- endif %}
FILTERS = 16
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4
BATCH_NORM_MOMENTUM = 0.99
BATCH_NORM_EPSILON = 1e-3

# Consumers feed float32 images in [0, 1]; the batch dimension stays undefined.
INPUT_SIGNATURE = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")
{%- if cookiecutter.task == "image-classification" %}
# Logits, not probabilities: consumers fine-tune with a from_logits loss.
OUTPUT_KEY = "logits"
{%- else %}
OUTPUT_KEY = "feature_vector"
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


class ConvNet(tf.Module):
    """conv -> batch norm -> relu -> global average pool -> dropout -> dense.

    Batch norm keeps moving statistics in non-trainable variables: training
    normalizes with the batch statistics and updates them, inference uses them.
    """

    def __init__(self, output_size, name=None):
        super().__init__(name=name)
        initializer = tf.initializers.GlorotUniform(seed=0)
        self.conv_kernel = tf.Variable(initializer([3, 3, 3, FILTERS]), name="conv_kernel")
        self.gamma = tf.Variable(tf.ones([FILTERS]), name="gamma")
        self.beta = tf.Variable(tf.zeros([FILTERS]), name="beta")
        # Under a tf.distribute strategy each replica updates its own statistics,
        # and reading them (to save a checkpoint) averages the replicas.
        statistic = {
            "trainable": False,
            "synchronization": tf.VariableSynchronization.ON_READ,
            "aggregation": tf.VariableAggregation.MEAN,
        }
        self.moving_mean = tf.Variable(tf.zeros([FILTERS]), name="moving_mean", **statistic)
        self.moving_variance = tf.Variable(tf.ones([FILTERS]), name="moving_variance", **statistic)
        self.dense = Dense(FILTERS, output_size, name="dense")

    @property
    def losses(self):
        return [L2_WEIGHT * tf.reduce_sum(tf.square(self.conv_kernel)), *self.dense.losses]

    def __call__(self, images, training=False, dropout_rate=DROPOUT_RATE):
        x = tf.nn.conv2d(images, self.conv_kernel, strides=2, padding="SAME")
        if training:
            mean, variance = tf.nn.moments(x, axes=[0, 1, 2])
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
        x = tf.reduce_mean(tf.nn.relu(x), axis=[1, 2])
        if training:
            # Dropout before the last layer only: the exported output is never dropped.
            x = tf.nn.dropout(x, rate=dropout_rate)
        return self.dense(x)
{% if cookiecutter.task == "image-classification" %}

def build_model():
    return ConvNet(NUM_CLASSES, name="classifier")


def build_training_model(model):
    """The whole module is trained and exported."""
    return model
{%- else %}

class Classifier(tf.Module):
    """The feature extractor plus a classification head that is not exported."""

    def __init__(self, feature_extractor, name=None):
        super().__init__(name=name)
        self.feature_extractor = feature_extractor
        self.head = Dense(NUM_FEATURES, NUM_CLASSES, name="head")

    @property
    def losses(self):
        return [*self.feature_extractor.losses, *self.head.losses]

    def __call__(self, images, training=False, dropout_rate=DROPOUT_RATE):
        return self.head(self.feature_extractor(images, training, dropout_rate))


def build_model():
    return ConvNet(NUM_FEATURES, name="feature_extractor")


def build_training_model(model):
    return Classifier(model, name="classifier")
{%- endif %}
