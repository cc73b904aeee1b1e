"""A `tf.Module` with variables in a list and dicts: no Keras and no regularizer.

Its hand-written batch norm takes TF Hub's usual hyperparameter,
`batch_norm_momentum`, which changes neither the inference outputs nor how the
training outputs vary: only what a training-mode call does to the moving
statistics.
"""

import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = tf.TensorSpec([None, 32, 32, 3], tf.float32, name="images")
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {"batch_norm_momentum": 0.99}


class TwoLayerNet(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        init = tf.initializers.GlorotUniform(seed=3)
        self.kernels = [tf.Variable(init([3, 16])), tf.Variable(init([16, NUM_CLASSES]))]
        self.biases = {"hidden": tf.Variable(tf.zeros([16])), "out": tf.Variable(tf.zeros([10]))}
        self.moving = {
            "mean": tf.Variable(tf.zeros([16]), trainable=False),
            "variance": tf.Variable(tf.ones([16]), trainable=False),
        }

    def __call__(self, images, training=False, batch_norm_momentum=0.99):
        x = tf.reduce_mean(images, axis=[1, 2]) @ self.kernels[0]
        if training:
            mean, variance = tf.nn.moments(x, axes=[0])
            for moving, batch in ((self.moving["mean"], mean), (self.moving["variance"], variance)):
                moving.assign(batch_norm_momentum * moving + (1 - batch_norm_momentum) * batch)
        else:
            mean, variance = self.moving["mean"], self.moving["variance"]
        x = tf.nn.batch_normalization(x, mean, variance, self.biases["hidden"], None, 1e-3)
        return tf.nn.relu(x) @ self.kernels[1] + self.biases["out"]


def build_model():
    return TwoLayerNet(name="two_layer_net")


def build_training_model(model):
    return model
