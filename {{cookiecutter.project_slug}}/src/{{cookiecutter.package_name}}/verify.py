"""Checks that a written SavedModel keeps the reusable interface and the model's outputs.

`export.py` publishes nothing that fails these checks; the round-trip tests
then prove the same artifact with every consumer.
"""

import dataclasses
from pathlib import Path

import numpy as np
import tensorflow as tf


class VerificationError(Exception):
    """The SavedModel breaks the reusable interface or differs from the model."""


@dataclasses.dataclass(frozen=True)
class Report:
    """What was verified, for the export report."""

    path: str
    signature: str
    num_variables: int
    num_trainable_variables: int
    regularization_losses: tuple
    size_bytes: int

    def __str__(self):
        losses = ", ".join(f"{loss:.6g}" for loss in self.regularization_losses) or "none"
        return "\n".join([
            f"SavedModel:            {self.path}",
            f"serving_default:       {self.signature}",
            f"variables:             {self.num_variables} "
            f"({self.num_trainable_variables} trainable)",
            f"regularization losses: {len(self.regularization_losses)} ({losses})",
            f"size:                  {self.size_bytes:,} bytes",
        ])


def inference_outputs(model, inputs):
    """The in-memory model's inference outputs, computed as a graph like the export's.

    Eager and graph execution of one model may differ in the last bit (in a
    graph, Grappler fuses ops such as convolution and batch norm); `predict`
    in Keras runs a graph too. Comparing graph with graph makes exact
    equality the right test.
    """
    return tf.function(lambda batch: model(batch, training=False))(inputs).numpy()


def _check(condition, message):
    if not condition:
        raise VerificationError(message)


def verify_saved_model(path, model, inputs, output_key):
    """Reloads `path` and compares it with `model` on `inputs`; returns a `Report`.

    Raises:
      VerificationError: naming the first broken promise.
    """
    loaded = tf.saved_model.load(str(path))
    expected = inference_outputs(model, inputs)

    _check(
        np.array_equal(loaded(inputs).numpy(), expected),
        "__call__ in inference mode differs from the in-memory model",
    )
    _check(
        np.array_equal(loaded(inputs, training=False).numpy(), expected),
        "__call__(training=False) differs from the in-memory model",
    )
    serving = loaded.signatures.get("serving_default")
    _check(serving is not None, "no serving_default signature")
    served = serving(tf.constant(inputs))
    _check(output_key in served, f"serving_default has no output {output_key!r}")
    _check(
        np.array_equal(served[output_key].numpy(), expected),
        "serving_default differs from the in-memory model",
    )
    # Last: a training-mode call updates the loaded batch-norm statistics.
    try:
        loaded(inputs, training=True)
    except (TypeError, ValueError) as error:
        raise VerificationError(f"__call__ is not traced for training=True: {error}") from None

    all_variables = {variable.ref() for variable in loaded.variables}
    _check(
        all(variable.ref() in all_variables for variable in loaded.trainable_variables),
        "trainable_variables is not a subset of variables",
    )
    _check(
        len(loaded.variables) == len(model.variables),
        f"the SavedModel has {len(loaded.variables)} variables, the model "
        f"{len(model.variables)}: training state leaked into the export or weights are missing",
    )

    losses = []
    for function in loaded.regularization_losses:
        value = function()
        _check(value.shape.rank == 0, "a regularization loss is not a scalar")
        losses.append(float(value))
    expected_losses = [float(loss) for loss in model.losses]
    _check(
        np.allclose(losses, expected_losses, rtol=1e-6, atol=0),
        f"regularization losses {losses} differ from the model's {expected_losses}",
    )

    (spec,) = serving.structured_input_signature[1].values()
    input_dims = ", ".join(str(dim) for dim in ["batch", *spec.shape[1:]])
    output_dims = ", ".join(str(dim) for dim in ["batch", *expected.shape[1:]])
    return Report(
        path=str(path),
        signature=f"{spec.name}: {spec.dtype.name}[{input_dims}] -> "
        f"{output_key}: {served[output_key].dtype.name}[{output_dims}]",
        num_variables=len(loaded.variables),
        num_trainable_variables=len(loaded.trainable_variables),
        regularization_losses=tuple(losses),
        size_bytes=sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()),
    )
