"""Training as a library: `train`, which the `train` command runs under the strategy it chose.

`train` builds `model.py`'s model and training model under the strategy, fits
them on `data.synthetic_examples` and writes a tf.train.Checkpoint holding the
model under the key `model` (what `export` restores), plus the training model
and the optimizer state (what resuming training needs and the export leaves
behind). Your data goes in `data.py`. For another loss or loop, train with
your own code and save `checkpoint.model_checkpoint(model=model, ...)`: export
restores that the same way.
"""

import json
import os

{% if cookiecutter.__builder == "tf_keras" -%}
import tensorflow as tf
import tf_keras as keras
{%- else -%}
import keras
import tensorflow as tf
{%- if cookiecutter.__builder == "module" %}
import tf_keras
{%- endif %}
{%- endif %}

from {{ cookiecutter.package_name }}.data import synthetic_examples
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.exporter.example_inputs import check_accepted
from {{ cookiecutter.package_name }}.exporter.filesystems import location
from {{ cookiecutter.package_name }}.exporter.input_signature import (
    check_input_signature,
    check_model_input_names,
)
from {{ cookiecutter.package_name }}.exporter.restore import check_built
{%- if cookiecutter.__builder == "module" %}
from {{ cookiecutter.package_name }}.exporter.reusable import (
    as_dict,
    check_outputs,
    weight_penalties,
)
{%- else %}
from {{ cookiecutter.package_name }}.exporter.reusable import check_outputs
{%- endif %}
from {{ cookiecutter.package_name }}.model import (
    INPUT_SIGNATURE,
    OUTPUT_KEY,
    build_model,
    build_training_model,
)

{% if cookiecutter.__builder == "module" %}
def make_optimizer(learning_rate):
    # tf_keras' optimizers are TensorFlow-native and step plain tf.Variables inside
    # tf.distribute custom loops; Keras 3's fail there with TensorFlow 2.21
    # ("You must feed a value for placeholder tensor").
    return tf_keras.optimizers.Adam(learning_rate)


def fit(strategy, training_model, optimizer, inputs, labels, epochs, batch_size, run_eagerly):
    """A plain GradientTape loop (the low-level model has no `fit`), one step per replica."""

    def replica_step(inputs, labels):
        with tf.GradientTape() as tape:
            # A model that returns a dict trains on its OUTPUT_KEY entry (the model contract).
            outputs = training_model(inputs, training=True)
            check_outputs(outputs)
            logits = as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY]
            cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
            # Scaled by the global batch, so summing over replicas gives the mean.
            loss = tf.nn.compute_average_loss(cross_entropy, global_batch_size=batch_size)
            penalties = weight_penalties(training_model)
            if penalties:
                loss += tf.nn.scale_regularization_loss(tf.add_n(penalties))
        variables = training_model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def train_step(batch):
        losses = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    if not run_eagerly:
        train_step = tf.function(train_step)

    options = tf.data.Options()
    # In-memory data has no files to shard by: each worker takes every n-th batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    for epoch in range(epochs):
        dataset = (
            tf.data.Dataset.from_tensor_slices((inputs, labels))
            .shuffle(len(labels), seed=epoch)
            .batch(batch_size, drop_remainder=True)
            .with_options(options)
        )
        for batch in strategy.experimental_distribute_dataset(dataset):
            loss = train_step(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {float(loss):.4f}")
{% else %}
def make_optimizer(learning_rate):
    return keras.optimizers.Adam(learning_rate)


class OutputKeyEntry(keras.Model):
    """The training model as Keras' `fit` trains it: on its OUTPUT_KEY entry if it returns a dict.

    The model contract; `fit` with one loss takes a single output. Deciding in
    `call`, as `fit` traces it, costs no call of the model ahead of training (a
    replica's eager forward pass of a large network takes seconds). The wrapped
    model's variables and losses are this one's, and nothing of it is saved.
    """

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.wrapped = model

    def call(self, inputs, training=False):
        outputs = self.wrapped(inputs, training=training)
        check_outputs(outputs)
        return outputs[OUTPUT_KEY] if isinstance(outputs, dict) else outputs


def fit(strategy, training_model, optimizer, inputs, labels, epochs, batch_size, run_eagerly):
    """Keras `fit`; the regularization losses join the loss by themselves."""
    with strategy.scope():  # Keras builds its training state in the model's strategy.
        training_model = OutputKeyEntry(training_model)
        training_model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            run_eagerly=run_eagerly,
        )
    # A tf.data pipeline, not NumPy arrays: Keras 3 cannot batch NumPy strings.
    dataset = (
        tf.data.Dataset.from_tensor_slices((inputs, labels))
        .shuffle(len(labels), seed=0)
        .batch(batch_size)
    )
    # The dataset reshuffles every epoch itself; Keras 3 warns if asked to as well.
    training_model.fit(dataset, epochs=epochs, shuffle=False, verbose=2)
{% endif %}

def train(checkpoint_dir, epochs=2, num_examples=512, batch_size=32, learning_rate=1e-3, seed=0,
          strategy=None, run_eagerly=False):
    """Trains from scratch under `strategy` and returns the path of the checkpoint written.

    `checkpoint_dir` is a local path or a URL (`gs://bucket/run1`); an unknown
    scheme is refused (`UnknownSchemeError`) before any training. `run_eagerly`
    runs the training step without `tf.function`: slower per step, but nothing
    is traced (half a minute for a MobileNet), so a run of a few steps is
    quicker, and an error points at the model's own Python line.
    """
    checkpoint_dir = location(checkpoint_dir)
    # What export would refuse of the signature, refused before data is made for it.
    check_input_signature(INPUT_SIGNATURE)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():  # Variables are created where the strategy places them.
        model = build_model()
        check_built(model)  # What export would refuse to restore into, refused before training.
        check_model_input_names(model, INPUT_SIGNATURE)
        training_model = build_training_model(model)
        optimizer = make_optimizer(learning_rate)
    inputs, labels = synthetic_examples(num_examples, seed=seed)
    # A guess of a dict's values the model fails on: one line on how to give examples.
    check_accepted(model, inputs)
    fit(strategy, training_model, optimizer, inputs, labels, epochs, batch_size, run_eagerly)
    checkpoint = model_checkpoint(model=model, training_model=training_model, optimizer=optimizer)
    # Every worker takes part in saving (variables may live on any of them), but
    # only the chief writes to checkpoint_dir; the others write to scratch space
    # inside it, as Keras' own callbacks do (`workertemp_<task>`): on the same
    # filesystem, where the job may write, and deleted with that filesystem's calls.
    directory = checkpoint_dir
    if not _is_chief(strategy):
        directory = tf.io.gfile.join(checkpoint_dir, f"workertemp_{_task_id(strategy)}")
    path = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=3).save()
    if not _is_chief(strategy):
        tf.io.gfile.rmtree(directory)
    return path


def _task_id(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return resolver.task_id if resolver and resolver.task_type else 0


def _is_chief(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if not resolver or not resolver.task_type:
        return True
    has_chief = "chief" in json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return resolver.task_type == "chief" or (
        not has_chief and resolver.task_type == "worker" and resolver.task_id == 0
    )
