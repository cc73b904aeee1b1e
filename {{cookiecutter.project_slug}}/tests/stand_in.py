"""The smallest model that meets `model.py`'s contract, for tests of the machinery.

What the module class, the verifier and the benchmark do with any model is
tested on it, in a fraction of the time; what they do with your model is
tested on your model.
"""

import tensorflow as tf


class StandIn(tf.Module):
    """Trainable weights averaged into one output per example; records each trace.

    Any input batch works (images or strings): only its size is read. It takes
    the project's hyperparameters and, as a model may, ignores them.
    """

    def __init__(self, num_parameters=1):
        super().__init__()
        self.weights = tf.Variable(tf.ones([num_parameters]))
        self.modes = []  # The `training` value of each call: Python runs the call once per trace.

    def __call__(self, inputs, training=False, **hyperparameters):
        del hyperparameters  # Unused.
        self.modes.append(training)
        batch = tf.nest.flatten(inputs)[0]  # The first input of several (a dict) will do.
        return tf.fill([tf.shape(batch)[0], 1], tf.reduce_mean(self.weights))
