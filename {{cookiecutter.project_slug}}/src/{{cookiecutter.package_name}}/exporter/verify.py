"""Checks that a written SavedModel keeps the reusable interface and the model's outputs.

`export_lib.py` records what the in-memory model computes (`Expectations`) and
checks the written SavedModel against it (`verify_saved_model`) in a fresh
Python process (`fresh_process.py`), so an artifact that only works beside the
code that wrote it (Python state, files outside the export) never reaches
consumers:

    python -m {{ cookiecutter.package_name }}.exporter.verify --saved_model_dir DIR
        --expectations FILE.npz
"""

import re
import sys

from absl import flags
import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations, Report
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    location,
)
from {{ cookiecutter.package_name }}.exporter.gradients import (
    NO_GRADIENT_ISSUES,
    ops_without_gradient,
)
from {{ cookiecutter.package_name }}.exporter.input_signature import (
    call_signature,
    describe_inputs,
)
from {{ cookiecutter.package_name }}.exporter.outputs import differing_outputs
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.exporter.warmup import (
    WarmupError,
    read_requests,
    replay_requests,
)


class VerificationError(Exception):
    """The SavedModel breaks the reusable interface or differs from the model."""


def _check(condition, message):
    if not condition:
        raise VerificationError(message)


def verify_saved_model(path, expected):
    """Loads `path` in this process and checks it against `expected`; returns a `Report`.

    Raises:
      VerificationError: naming the first broken promise.
    """
    loaded = tf.saved_model.load(str(path))
    _check_inference_calls(loaded, expected)
    warmup_batches = _replayed_warmup(path, loaded)
    # After the inference checks: a training-mode call updates batch-norm statistics.
    _check_training_mode(loaded, expected.inputs, expected.output_key)
    _check_variables(loaded, expected)
    losses = _checked_regularization_losses(loaded, expected)
    return Report(
        path=str(path),
        signature=_serving_signature(loaded),
        num_variables=len(loaded.variables),
        num_trainable_variables=len(loaded.trainable_variables),
        regularization_losses=tuple(losses),
        size_bytes=directory_bytes(path),
        warmup_batches=warmup_batches,
    )


def _check_inference_calls(loaded, expected):
    """Checks that each inference call of `loaded` returns the model's outputs."""
    inputs, key = expected.inputs, expected.output_key
    for name, outputs in [
        ("__call__(inputs)", lambda: loaded(inputs)),
        ("__call__(inputs, training=False)", lambda: loaded(inputs, training=False)),
        ("serving_default", lambda: call_signature(loaded.signatures["serving_default"], inputs)),
    ]:
        try:
            values = outputs()
        except (KeyError, TypeError, ValueError) as error:
            raise VerificationError(
                f"{name} cannot be called on {describe_inputs(inputs)} inputs: {first_line(error)}"
            ) from None
        differing = differing_outputs(values, expected.outputs, key)
        _check(not differing, f"{name} differs from the model in {', '.join(differing)}")


def _replayed_warmup(path, loaded):
    """Replays the export's TF Serving warmup requests (`warmup.py`); returns their batch sizes."""
    try:
        return replay_requests(loaded, read_requests(path))
    except WarmupError as error:
        raise VerificationError(str(error)) from None


def _check_training_mode(loaded, inputs, output_key):
    """Checks that the loaded `__call__` runs for training=True and can be fine-tuned."""
    try:
        loaded(inputs, training=True)
    except (TypeError, ValueError) as error:
        raise VerificationError(
            f"__call__ is not traced for training=True: {first_line(error)}"
        ) from None
    # Differentiating a large model's trace takes seconds: only when an op may stop it.
    if not loaded.trainable_variables or not ops_without_gradient(loaded):
        return
    try:  # Under a tape, the call builds its gradient function and may fail already.
        with tf.GradientTape() as tape:
            outputs = as_dict(loaded(inputs, training=True), output_key).values()
            loss = tf.add_n([tf.reduce_sum(tf.cast(output, tf.float32))
                             for output in outputs if output.dtype.is_floating] or [0.0])
        tape.gradient(loss, loaded.trainable_variables)
    except LookupError as error:
        op = re.search(r"op type: (\w+)|no entry for: (\w+)", str(error))
        op = op and (op[1] or op[2])
        raise VerificationError(
            f"fine-tuning cannot take gradients through __call__(training=True): TensorFlow "
            f"has no gradient for op {op}{NO_GRADIENT_ISSUES.get(op, '')}; apply it to the "
            "inputs before the model (in the input pipeline) or use ops that have one"
        ) from None


def _check_variables(loaded, expected):
    """Checks that `loaded` has the model's variables, no more and no fewer."""
    all_variables = {variable.ref() for variable in loaded.variables}
    _check(
        all(variable.ref() in all_variables for variable in loaded.trainable_variables),
        "trainable_variables is not a subset of variables",
    )
    _check(
        (len(loaded.variables), len(loaded.trainable_variables))
        == (expected.num_variables, expected.num_trainable_variables),
        f"the SavedModel has {len(loaded.variables)} variables "
        f"({len(loaded.trainable_variables)} trainable), the model {expected.num_variables} "
        f"({expected.num_trainable_variables}): training state leaked in or weights are missing",
    )


def _checked_regularization_losses(loaded, expected):
    """The values of `loaded.regularization_losses`, checked against the model's."""
    losses = []
    for function in loaded.regularization_losses:
        value = function()
        _check(value.shape.rank == 0, "a regularization loss is not a scalar")
        losses.append(float(value))
    _check(
        np.allclose(losses, expected.regularization_losses, rtol=1e-6, atol=0),
        f"regularization losses {losses} differ from the model's "
        f"{expected.regularization_losses.tolist()}",
    )
    return losses


def _serving_signature(loaded):
    """`serving_default`'s inputs and outputs: `images: float32[batch, ...] -> name: ..., ...`."""
    serving = loaded.signatures["serving_default"]
    inputs, outputs = (
        ", ".join(_describe(name, spec) for name, spec in sorted(specs.items()))
        for specs in (serving.structured_input_signature[1], serving.structured_outputs)
    )
    return f"{inputs} -> {outputs}"


def _describe(name, spec):
    """`name: dtype[batch, ...]`."""
    dims = ", ".join(str(dim) for dim in ["batch", *spec.shape[1:]])
    return f"{name}: {spec.dtype.name}[{dims}]"


def directory_bytes(path):
    """The bytes of every file under `path` (a local path or a URL)."""
    return sum(
        tf.io.gfile.stat(tf.io.gfile.join(directory, name)).length
        for directory, _, files in tf.io.gfile.walk(path)
        for name in files
    )


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    try:
        path = location(args.saved_model_dir)
        report = verify_saved_model(path, Expectations.load(args.expectations))
    except (UnknownSchemeError, VerificationError) as error:
        sys.exit(f"ERROR: {error}")
    print(report)


if __name__ == "__main__":
    flags.DEFINE_string("saved_model_dir", None, "The SavedModel to check.")
    flags.DEFINE_string(
        "expectations", None, "What the model computes: a .npz that Expectations.save wrote."
    )
    flags.mark_flags_as_required(["saved_model_dir", "expectations"])
    cli.run(main)
