"""A mixed-precision model, rebuilt to compute in float32 for its export (`--compute_dtype`).

A model trained under a `mixed_float16` or `mixed_bfloat16` policy keeps float32
variables but computes in 16 bits, and so does its export. TFLite's builtin
kernels then lack its convolutions (it needs Select TF ops, which no pip runtime
runs: google-ai-edge/LiteRT#6458), and a CPU server computes 16-bit floats
slower than float32. Its weights are float32 already: the same checkpoint
restores into the model rebuilt here, whose every layer computes in float32.
"""

import contextlib
import dataclasses

import keras
import numpy as np
import tensorflow as tf
import tf_keras

from {{ cookiecutter.package_name }}.exporter.checkpoint import layers
from {{ cookiecutter.package_name }}.exporter.outputs import inference_outputs, magnitude

HALF = ("float16", "bfloat16")  # What mixed-precision policies compute in.
# How far the float32 rebuild's outputs may lie from the 16-bit model's, relative to each
# output's largest magnitude (at least 1): bfloat16 keeps 8 significant bits, so each
# rounding errs by up to 0.4%, float16 11 bits (0.05%); a network's layers of them add up.
TOLERANCE = {"bfloat16": 5e-2, "float16": 1e-2}


class ComputeDtypeError(Exception):
    """A layer of the model would not compute in the dtype asked for."""


def build_computing_in(build_model, compute_dtype=None):
    """`build_model()`, with every Keras layer computing in `compute_dtype` (None: as written).

    Both Keras' global policies are `compute_dtype` while `build_model()` runs;
    Keras 3 layers that set their own policy (or a policy set inside
    `build_model()`) are switched after it: their `dtype_policy` is settable.
    tf_keras offers no public way to do that, so such a layer is refused.
    Raises:
      ComputeDtypeError: a tf_keras layer still computes in 16 bits.
    """
    if compute_dtype is None:
        return build_model()
    with _global_policies(compute_dtype):
        model = build_model()
    for layer in half_precision_layers(model):  # Not the lookups that compute in strings or ints.
        if isinstance(layer, keras.layers.Layer):
            layer.dtype_policy = compute_dtype
    stubborn = [
        f"{layer.name} ({layer.dtype_policy.name})" for layer in half_precision_layers(model)
    ]
    if stubborn:
        raise ComputeDtypeError(
            f"--compute_dtype={compute_dtype}: tf_keras layers set their own dtype policy "
            f"({', '.join(stubborn)}); set it in one place, with "
            "tf_keras.mixed_precision.set_global_policy, before build_model()"
        )
    return model


@dataclasses.dataclass(frozen=True)
class Rebuilt:
    """A 16-bit model's float32 rebuild, and how far apart their outputs lie."""

    trained_in: str  # "bfloat16" or "float16".
    difference: float
    bound: float

    def field(self):
        return (f"float32, rebuilt from the {self.trained_in} model (outputs within "
                f"{self.difference:.3g} of its; bound {self.bound:.3g})")


def compare_with_as_trained(model, as_trained, inputs):
    """`Rebuilt`: float32 `model` against the 16-bit model, both restored; None if it was float32.

    Raises:
      ComputeDtypeError: the outputs lie further apart than 16-bit rounding explains.
    """
    half = {layer.compute_dtype for layer in half_precision_layers(as_trained)}
    if not half:
        return None
    trained_in = "bfloat16" if "bfloat16" in half else "float16"
    measured = [
        (float(np.max(np.abs(ours - theirs), initial=0)),  # NaN if either is.
         TOLERANCE[trained_in] * max(1.0, magnitude(theirs)))
        for ours, theirs in zip(
            _float_outputs(model, inputs), _float_outputs(as_trained, inputs), strict=True
        )
    ]
    difference, bound = max(
        measured, default=(0.0, TOLERANCE[trained_in]),
        key=lambda pair: np.inf if np.isnan(pair[0]) else pair[0] / pair[1],
    )
    if not difference <= bound:
        raise ComputeDtypeError(
            f"--compute_dtype=float32: the float32 rebuild's outputs lie {difference:.3g} from "
            f"the {trained_in} model's (bound {bound:.3g}), beyond rounding: a layer computes "
            "otherwise in float32; export without the flag"
        )
    return Rebuilt(trained_in, difference, bound)


def _float_outputs(model, inputs):
    """`model`'s float outputs on `inputs`, computed as its export computes them, in float64."""
    outputs = tf.nest.flatten(inference_outputs(model, inputs))
    return [output.astype(np.float64) for output in outputs
            if tf.as_dtype(output.dtype).is_floating]


def half_precision_layers(model):
    """The Keras 3 and tf_keras layers of `model` that compute in 16-bit floats."""
    return [
        layer for layer in layers(model)
        if isinstance(layer, keras.layers.Layer | tf_keras.layers.Layer)
        and layer.compute_dtype in HALF
    ]


@contextlib.contextmanager
def _global_policies(compute_dtype):
    """Keras 3's and tf_keras' global dtype policies set to `compute_dtype`, then restored."""
    previous = keras.config.dtype_policy(), tf_keras.mixed_precision.global_policy()
    keras.config.set_dtype_policy(compute_dtype)
    tf_keras.mixed_precision.set_global_policy(compute_dtype)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous[0])
        tf_keras.mixed_precision.set_global_policy(previous[1])
