"""The smallest model that meets `model.py`'s contract, for tests of the machinery.

What the module class and the verifier do with any model is tested on it, in
a fraction of a second; what they do with your model is tested on your model.
"""

import tensorflow as tf


class StandIn(tf.Module):
    """One trainable scalar, broadcast to one output per example; records each trace."""

    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(1.0)
        self.modes = []  # The `training` value of each call: Python runs the call once per trace.

    def __call__(self, inputs, training=False):
        self.modes.append(training)
        return tf.fill([tf.shape(inputs)[0], 1], self.scale)
