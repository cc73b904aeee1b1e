"""Train the example model briefly on synthetic data and write a tf.train.Checkpoint.

    python -m {{ cookiecutter.package_name }}.train --checkpoint_dir DIR
        [--strategy mirrored]

`train` (`exporter/train_lib.py`) writes a checkpoint that holds the model under
the key `model` (what `export.py` restores), plus the training model and the
optimizer state (what resuming training needs and the export leaves behind).

Distributed training uses TensorFlow's own engine, `tf.distribute`:
`--strategy mirrored` trains on all local devices, `--strategy multi_worker`
on the workers listed in the `TF_CONFIG` environment variable (start the same
command on every worker; the first worker, or the `chief` task, writes the
checkpoint). For TPUs, return
`tf.distribute.TPUStrategy(tf.distribute.cluster_resolver.TPUClusterResolver(tpu=NAME))`
from `make_strategy`. Whatever trained it, the checkpoint restores on one CPU:
`export.py` uses no strategy.
"""

import sys

from absl import flags
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.filesystems import UnknownSchemeError
from {{ cookiecutter.package_name }}.exporter.input_signature import InputsError
from {{ cookiecutter.package_name }}.exporter.restore import RestoreError
from {{ cookiecutter.package_name }}.exporter.reusable import OutputsError
from {{ cookiecutter.package_name }}.exporter.train_lib import train
{%- if cookiecutter.__builder == "keras3" %}
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE
{%- endif %}


def make_strategy(name):
    """The `tf.distribute` strategy called `name` (see the module docstring)."""
    if name == "mirrored":
{%- if cookiecutter.__builder == "keras3" %}
        # Keras 3's fit averages the first batch over the replicas to build the
        # model (_maybe_symbolic_build in keras/src/backend/tensorflow/trainer.py):
        # with string inputs (text, or a dict's string entry) and two or more
        # replicas that fails in AddN.
        strategy = tf.distribute.MirroredStrategy()
        takes_strings = any(spec.dtype == tf.string for spec in tf.nest.flatten(INPUT_SIGNATURE))
        if takes_strings and strategy.num_replicas_in_sync > 1:
            raise ValueError(
                "Keras 3's fit cannot split string inputs over several replicas of "
                "MirroredStrategy; use keras_flavour tf_keras or model_type checkpoint"
            )
        return strategy
{%- else %}
        return tf.distribute.MirroredStrategy()
{%- endif %}
    if name == "multi_worker":
{%- if cookiecutter.__builder == "keras3" %}
        # Refused before any worker starts waiting for the others.
        raise ValueError(
            "Keras 3's fit does not train under MultiWorkerMirroredStrategy "
            "(keras-team/keras#20585); use keras_flavour tf_keras or a custom training loop"
        )
{%- else %}
        return tf.distribute.MultiWorkerMirroredStrategy()
{%- endif %}
    return tf.distribute.get_strategy()


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    # First: a multi-worker strategy must exist before any other TensorFlow op runs.
    try:
        strategy = make_strategy(args.strategy)
    except ValueError as error:
        sys.exit(f"ERROR: {error}")
    print(f"strategy: {args.strategy}, replicas in sync: {strategy.num_replicas_in_sync}")
    try:
        path = train(
            args.checkpoint_dir,
            epochs=args.epochs,
            num_examples=args.num_examples,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            strategy=strategy,
            run_eagerly=args.run_eagerly,
        )
    except (UnknownSchemeError, RestoreError, InputsError) as error:
        sys.exit(f"ERROR: {error}")
    except OutputsError as error:
        # Keras re-raises an error of a layer's `call` with the call's arguments added
        # to its message, from inside its handler: the error it re-raises is the context.
        while isinstance(error.__context__, OutputsError):
            error = error.__context__
        sys.exit(f"ERROR: {error}")
    print(f"Wrote checkpoint {path}")


if __name__ == "__main__":
    flags.DEFINE_string(
        "checkpoint_dir", None, "Where to write the checkpoint: a path or a URL (gs://...)."
    )
    flags.DEFINE_integer("epochs", 2, "Passes over the synthetic data.")
    flags.DEFINE_integer("num_examples", 512, "Synthetic training examples.")
    flags.DEFINE_integer("batch_size", 32, "Training batch size.")
    flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
    flags.DEFINE_enum(
        "strategy", "default", ["default", "mirrored", "multi_worker"],
        "tf.distribute strategy: one device, all local devices, or the workers in TF_CONFIG.",
    )
    flags.DEFINE_bool(
        "run_eagerly", False,
        "Train without tf.function: no tracing, so a few steps start sooner; errors point "
        "at the model's Python code.",
    )
    flags.mark_flags_as_required(["checkpoint_dir"])
    cli.run(main)
