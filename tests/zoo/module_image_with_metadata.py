"""A `tf.Module` of several inputs: an image beside its metadata, a float vector and a bool.

No Keras: `__call__` takes the dict itself. It defines no `example_inputs`:
the exporter's guess (floats in [0, 1], booleans) is what it takes.
"""

import tensorflow as tf

NUM_CLASSES = 10
INPUT_SIGNATURE = {
    "images": tf.TensorSpec([None, 32, 32, 3], tf.float32),
    "metadata": tf.TensorSpec([None, 4], tf.float32),
    "flash": tf.TensorSpec([None], tf.bool),
}
OUTPUT_KEY = "logits"
HYPERPARAMETERS = {}


class ImageWithMetadata(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        init = tf.initializers.GlorotUniform(seed=5)
        self.image_kernel = tf.Variable(init([3, 8]))
        self.metadata_kernel = tf.Variable(init([5, 8]))
        self.output_kernel = tf.Variable(init([8, NUM_CLASSES]))
        self.bias = tf.Variable(tf.zeros([NUM_CLASSES]))

    @property
    def losses(self):
        return [1e-4 * tf.reduce_sum(tf.square(self.output_kernel))]

    def __call__(self, inputs, training=False):
        del training  # Unused: it computes alike in both modes.
        image = tf.reduce_mean(inputs["images"], axis=[1, 2]) @ self.image_kernel
        flash = tf.cast(inputs["flash"], tf.float32)[:, None]
        metadata = tf.concat([inputs["metadata"], flash], axis=1) @ self.metadata_kernel
        return tf.nn.relu(image + metadata) @ self.output_kernel + self.bias


def build_model():
    return ImageWithMetadata(name="image_with_metadata")


def build_training_model(model):
    return model
