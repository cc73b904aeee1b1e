"""A mixed-precision model, rebuilt to compute in float32 for its export (`--compute_dtype`).

A model trained under a `mixed_float16` or `mixed_bfloat16` policy keeps float32
variables but computes in 16 bits, and so does its export. TFLite's builtin
kernels then lack its convolutions (it needs Select TF ops, which no pip runtime
runs: google-ai-edge/LiteRT#6458), and a CPU server computes 16-bit floats
slower than float32. Its weights are float32 already: the same checkpoint
restores into the model rebuilt here, whose every layer computes in float32.
"""

import contextlib

import keras
import tf_keras

from {{ cookiecutter.package_name }}.exporter.checkpoint import layers

HALF = ("float16", "bfloat16")  # What mixed-precision policies compute in.


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
