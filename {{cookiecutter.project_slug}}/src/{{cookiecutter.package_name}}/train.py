"""Train the example model briefly on synthetic data and write a tf.train.Checkpoint.

    python -m {{ cookiecutter.package_name }}.train --checkpoint_dir DIR

The checkpoint holds the model under the key `model` (what `export.py` restores),
plus the training model and the optimizer state (what resuming training needs
and the export leaves behind).
"""

from absl import app, flags
{% if cookiecutter.keras_flavour == "tf_keras" -%}
import tensorflow as tf
import tf_keras as keras
{%- else -%}
import keras
import tensorflow as tf
{%- endif %}

from {{ cookiecutter.package_name }}.data import synthetic_images
from {{ cookiecutter.package_name }}.model import (
    IMAGE_SIZE,
    NUM_CLASSES,
    build_model,
    build_training_model,
)

FLAGS = flags.FLAGS
flags.DEFINE_string("checkpoint_dir", None, "Where to write the checkpoint.", required=True)
flags.DEFINE_integer("epochs", 2, "Passes over the synthetic data.")
flags.DEFINE_integer("num_examples", 512, "Synthetic training examples.")
flags.DEFINE_integer("batch_size", 32, "Training batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
{% if cookiecutter.model_type == "checkpoint" %}

def fit(training_model, optimizer, images, labels, epochs, batch_size):
    """A plain GradientTape loop: the low-level model has no `fit`."""

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = training_model(images, training=True)
            cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
            loss = tf.reduce_mean(cross_entropy) + tf.add_n(training_model.losses)
        variables = training_model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    for epoch in range(epochs):
        for batch in dataset.shuffle(len(labels), seed=epoch).batch(batch_size):
            loss = train_step(*batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {float(loss):.4f}")
{% else %}

def fit(training_model, optimizer, images, labels, epochs, batch_size):
    """Keras `fit`; the regularization losses join the loss by themselves."""
    training_model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    training_model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=2)
{% endif %}

def train(checkpoint_dir, epochs=2, num_examples=512, batch_size=32, learning_rate=1e-3, seed=0):
    """Trains from scratch and returns the path of the checkpoint written."""
    keras.utils.set_random_seed(seed)
    model = build_model()
    training_model = build_training_model(model)
    # Keras' Adam also updates the plain tf.Variables of a low-level model.
    optimizer = keras.optimizers.Adam(learning_rate)
    images, labels = synthetic_images(num_examples, IMAGE_SIZE, NUM_CLASSES, seed=seed)
    fit(training_model, optimizer, images, labels, epochs, batch_size)
    checkpoint = tf.train.Checkpoint(
        model=model, training_model=training_model, optimizer=optimizer
    )
    return tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=3).save()


def main(argv):
    del argv  # Unused.
    path = train(
        FLAGS.checkpoint_dir,
        epochs=FLAGS.epochs,
        num_examples=FLAGS.num_examples,
        batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate,
    )
    print(f"Wrote checkpoint {path}")


if __name__ == "__main__":
    app.run(main)
