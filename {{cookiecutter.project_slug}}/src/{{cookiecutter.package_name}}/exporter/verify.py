"""Checks that a written SavedModel keeps the reusable interface and the model's outputs.

`export.py` records what the in-memory model computes (`Expectations`) and
checks the written SavedModel against it (`verify_saved_model`) in a fresh
Python process (`fresh_process.py`), so an artifact that only works beside the
code that wrote it (Python state, files outside the export) is never published:

    python -m {{ cookiecutter.package_name }}.exporter.verify --saved_model_dir DIR
        --expectations FILE.npz
"""

import dataclasses
import re
import sys
import weakref

from absl import flags
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import op_def_registry
from tensorflow.python.framework import ops as tf_ops

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.filesystems import UnknownSchemeError, location
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict, weight_penalties


class VerificationError(Exception):
    """The SavedModel breaks the reusable interface or differs from the model."""


# How far apart two computations of one float output may be and still be the same:
# this many units in the last place of the output's largest magnitude. Grappler
# (constant folding, the arithmetic optimizer) rewrites a loaded function and the
# in-memory trace it came from differently when they nest differently, which
# reorders float arithmetic: measured up to 6 ulps for an 8-block vision
# transformer, 0 for convolutional networks. A wrong or missing weight, a moved
# batch-norm statistic or a training-mode op moves outputs by thousands of ulps.
ROUNDING_ULPS = 128


def same_values(actual, expected):
    """Whether two output arrays are equal, floats up to rounding (`ROUNDING_ULPS`)."""
    actual, expected = _bytes_as_array(actual), _bytes_as_array(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    if not np.issubdtype(expected.dtype, np.floating) or not expected.size:
        return np.array_equal(actual, expected)
    scale = np.max(np.abs(expected), initial=0, where=np.isfinite(expected))
    tolerance = ROUNDING_ULPS * np.spacing(expected.dtype.type(scale))
    return bool(np.allclose(actual, expected, rtol=0, atol=tolerance, equal_nan=True))


def _bytes_as_array(values):
    """`values` as a NumPy array; strings (TensorFlow returns an object array of bytes) as bytes.

    A string output (class names, say) then compares with the same dtype however
    it arrived, and saves in an `.npz` file, which refuses object arrays.
    """
    values = np.asarray(values)
    return values.astype(bytes) if values.dtype == object else values


def differing_outputs(actual, expected, output_key):
    """Names of the outputs two calls do not both return with the same values."""
    actual, expected = as_dict(actual, output_key), as_dict(expected, output_key)
    return sorted(
        name for name in actual.keys() | expected.keys()
        if name not in actual or name not in expected
        or not same_values(actual[name], expected[name])
    )


def inference_outputs(model, inputs):
    """The in-memory model's inference outputs (NumPy), computed as the export computes them.

    Eager and graph execution of one model may differ (in a graph, Grappler
    fuses ops such as convolution and batch norm), and so may two graphs traced
    for different shapes (MobileNetV3 at batch 1, traced for exactly 1 or for
    any batch size). Traced like the export, as a graph with an undefined batch
    dimension, the outputs are what the export computes, up to the rounding
    `same_values` allows.
    """
    inputs = tf.constant(inputs)
    spec = tf.TensorSpec([None, *inputs.shape[1:]], inputs.dtype)
    traced = _inference_functions.setdefault(model, {})
    if spec not in traced:  # A trace costs as much as a hundred calls: one per model.
        model_ref = weakref.ref(model)  # The cache must not keep the model alive.
        traced[spec] = tf.function(
            lambda batch: model_ref()(batch, training=False), input_signature=[spec]
        )
    return tf.nest.map_structure(lambda tensor: tensor.numpy(), traced[spec](inputs))


# {model: {input spec: its inference tf.function}}, for as long as the model lives.
_inference_functions = weakref.WeakKeyDictionary()


@dataclasses.dataclass(frozen=True)
class Expectations:
    """What the in-memory model computes, for checking an export without the model."""

    output_key: str
    inputs: np.ndarray
    outputs: dict  # Output name -> np.ndarray, as the serving signature names them.
    regularization_losses: np.ndarray
    num_variables: int
    num_trainable_variables: int

    @classmethod
    def of_model(cls, model, inputs, output_key):
        return cls(
            output_key=output_key,
            inputs=inputs,
            outputs=as_dict(inference_outputs(model, inputs), output_key),
            regularization_losses=np.array([float(loss) for loss in weight_penalties(model)]),
            num_variables=len(model.variables),
            num_trainable_variables=len(model.trainable_variables),
        )

    def save(self, path):
        values = dataclasses.asdict(self)
        outputs = {
            f"outputs/{name}": _bytes_as_array(value)
            for name, value in values.pop("outputs").items()
        }
        np.savez(path, **values, **outputs)

    @classmethod
    def load(cls, path):
        with np.load(path) as arrays:
            values = {name: arrays[name] for name in arrays.files}
        outputs = {
            name.removeprefix("outputs/"): values.pop(name)
            for name in list(values) if name.startswith("outputs/")
        }
        return cls(
            output_key=str(values.pop("output_key")),
            outputs=outputs,
            num_variables=int(values.pop("num_variables")),
            num_trainable_variables=int(values.pop("num_trainable_variables")),
            **values,
        )


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


def first_line(error):
    """The first line of an error's message (its type if it has none), for a one-line refusal."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def _check(condition, message):
    if not condition:
        raise VerificationError(message)


def verify_saved_model(path, expected):
    """Loads `path` in this process and checks it against `expected`; returns a `Report`.

    Raises:
      VerificationError: naming the first broken promise.
    """
    loaded = tf.saved_model.load(str(path))
    inputs, key = expected.inputs, expected.output_key
    for name, outputs in [
        ("__call__(inputs)", lambda: loaded(inputs)),
        ("__call__(inputs, training=False)", lambda: loaded(inputs, training=False)),
        ("serving_default", lambda: loaded.signatures["serving_default"](tf.constant(inputs))),
    ]:
        try:
            values = outputs()
        except (KeyError, TypeError, ValueError) as error:
            raise VerificationError(
                f"{name} cannot be called on {inputs.dtype}{list(inputs.shape)} inputs: "
                f"{first_line(error)}"
            ) from None
        differing = differing_outputs(values, expected.outputs, key)
        _check(not differing, f"{name} differs from the model in {', '.join(differing)}")
    # After the inference checks: a training-mode call updates batch-norm statistics.
    _check_training_mode(loaded, inputs, key)

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

    serving = loaded.signatures["serving_default"]
    (spec,) = serving.structured_input_signature[1].values()
    outputs = ", ".join(
        _describe(name, output) for name, output in sorted(serving.structured_outputs.items())
    )
    return Report(
        path=str(path),
        signature=f"{_describe(spec.name, spec)} -> {outputs}",
        num_variables=len(loaded.variables),
        num_trainable_variables=len(loaded.trainable_variables),
        regularization_losses=tuple(losses),
        size_bytes=directory_bytes(path),
    )


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


# Upstream issues of ops with no gradient that models use (tf_keras's RandomContrast).
NO_GRADIENT_ISSUES = dict.fromkeys(
    ["AdjustContrastv2", "AdjustHue", "AdjustSaturation"], " (tensorflow/tensorflow#126083)"
)

# Ops whose gradient is their called function's.
_CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


def ops_without_gradient(loaded):
    """Op types in `loaded.__call__`'s traces that may stop a gradient, sorted.

    Fine-tuning differentiates a loaded function for all of its inputs at once,
    so an op anywhere in its trace that has no gradient can fail it, even one
    on the input's path that training the model in memory never differentiates
    (tf_keras's RandomContrast, op AdjustContrastv2). Listed: ops of a type
    TensorFlow registers no gradient for (nor declares non-differentiable)
    that output a dtype gradients flow through, and ops with a custom gradient
    (`tf.custom_gradient`) that the load did not register. The load registers
    each one the SavedModel holds, under the name the op carries; the save
    leaves out one the saving process had no gradient for (an op of a loaded
    SavedModel inside the model, saved without its custom gradients). Whether
    one really stops the gradient, only taking it says. The custom gradients of
    `tf.nn.silu` (swish, in every EfficientNet) are held and registered: those
    cost no gradient here.
    """
    found = set()
    for function in loaded.__call__.concrete_functions:
        graph = function.graph.as_graph_def()
        library = graph.library.function
        calls = _CALL_OPS | {called.signature.name for called in library}
        for node in [*graph.node, *(node for called in library for node in called.node_def)]:
            if node.op in calls or not node.input:  # No inputs: nothing to differentiate.
                continue
            if "_gradient_op_type" in node.attr:
                if not _has_gradient(node.attr["_gradient_op_type"].s.decode()):
                    found.add(node.op)
            elif not _has_gradient(node.op) and any(map(_differentiable, _output_dtypes(node))):
                found.add(node.op)
    return sorted(found)


def _has_gradient(op_type):
    # TensorFlow's registry, which gradients_util reads; no public API exposes it.
    try:
        tf_ops.gradient_registry.lookup(op_type)
    except LookupError:
        return False
    return True


def _output_dtypes(node):
    for arg in op_def_registry.get(node.op).output_arg:
        if arg.type:
            yield arg.type
        elif arg.type_attr:
            yield node.attr[arg.type_attr].type
        else:
            yield from node.attr[arg.type_list_attr].list.type


def _differentiable(dtype):
    dtype = tf.as_dtype(dtype)
    return dtype.is_floating or dtype.is_complex or dtype in (tf.resource, tf.variant)


def directory_bytes(path):
    """The bytes of every file under `path` (a local path or a URL)."""
    return sum(
        tf.io.gfile.stat(tf.io.gfile.join(directory, name)).length
        for directory, _, files in tf.io.gfile.walk(path)
        for name in files
    )


def _describe(name, spec):
    """`name: dtype[batch, ...]`."""
    dims = ", ".join(str(dim) for dim in ["batch", *spec.shape[1:]])
    return f"{name}: {spec.dtype.name}[{dims}]"


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
