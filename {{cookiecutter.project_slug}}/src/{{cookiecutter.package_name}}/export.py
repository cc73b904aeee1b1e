"""Export the trained model as a reusable TF2 SavedModel.

    python -m {{ cookiecutter.package_name }}.export --checkpoint_dir DIR --export_dir DIR

`export_saved_model` restores the checkpoint strictly, saves the model through
`ReusableModule` without any optimizer state, reloads and verifies the result,
and only then moves it to `export_dir`. A failed export leaves no partial
directory and any previous export untouched.
"""

import dataclasses
import os
from pathlib import Path
import shutil
import sys
import tempfile

from absl import app, flags
import tensorflow as tf

from {{ cookiecutter.package_name }}.data import synthetic_images
from {{ cookiecutter.package_name }}.model import (
    IMAGE_SIZE,
    INPUT_SIGNATURE,
    NUM_CLASSES,
    OUTPUT_KEY,
    build_model,
)
from {{ cookiecutter.package_name }}.reusable import ReusableModule
from {{ cookiecutter.package_name }}.verify import VerificationError, verify_saved_model

FLAGS = flags.FLAGS
flags.DEFINE_string("checkpoint_dir", None, "Directory of the training checkpoint.", required=True)
flags.DEFINE_string("export_dir", None, "Directory to write the SavedModel to.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing export in export_dir.")


class ExportError(Exception):
    """The export was refused; nothing was written."""


def restore(model, checkpoint_dir):
    """Restores every variable of `model` from the latest checkpoint in `checkpoint_dir`.

    Strict: a missing checkpoint, or one that does not hold every variable of
    `model` under the key `model`, is an error, never a silent export of
    freshly initialized weights. What else the checkpoint holds (optimizer
    state, a training head) is left behind.

    Returns:
      The path of the checkpoint read.
    """
    path = tf.train.latest_checkpoint(checkpoint_dir)
    if path is None:
        raise ExportError(f"no checkpoint found in {checkpoint_dir}")
    status = tf.train.Checkpoint(model=model).read(path)
    try:
        status.assert_existing_objects_matched()
    except AssertionError as error:
        raise ExportError(f"checkpoint {path} does not match the model: {error}") from None
    status.expect_partial()
    return path


def export_saved_model(checkpoint_dir, export_dir, overwrite=False):
    """Restores, saves, verifies and publishes; returns the verification `Report`."""
    export_dir = Path(export_dir)
    if export_dir.exists() and any(export_dir.iterdir()) and not overwrite:
        raise ExportError(f"{export_dir} is not empty; pass --overwrite to replace it")

    model = build_model()
    restore(model, checkpoint_dir)
    module = ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY)
    inputs, _ = synthetic_images(4, IMAGE_SIZE, NUM_CLASSES, seed=1)

    # Write beside the target, so the final move is a rename on one file system.
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{export_dir.name}.", dir=export_dir.parent))
    try:
        tf.saved_model.save(module, str(staging), signatures={"serving_default": module.serve})
        try:
            report = verify_saved_model(staging, model, inputs, OUTPUT_KEY)
        except VerificationError as error:
            raise ExportError(f"the written SavedModel failed verification: {error}") from None
        _publish(staging, export_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(report, path=str(export_dir))


def _publish(staging, export_dir):
    """Moves `staging` to `export_dir`; a previous export is replaced only at the last moment."""
    if not export_dir.exists():
        os.rename(staging, export_dir)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{export_dir.name}.previous.", dir=export_dir.parent))
    os.rename(export_dir, previous / export_dir.name)
    try:
        os.rename(staging, export_dir)
    except OSError:
        os.rename(previous / export_dir.name, export_dir)
        raise
    finally:
        shutil.rmtree(previous, ignore_errors=True)


def main(argv):
    del argv  # Unused.
    try:
        report = export_saved_model(FLAGS.checkpoint_dir, FLAGS.export_dir, FLAGS.overwrite)
    except ExportError as error:
        sys.exit(f"ERROR: {error}")
    print(report)


if __name__ == "__main__":
    app.run(main)
