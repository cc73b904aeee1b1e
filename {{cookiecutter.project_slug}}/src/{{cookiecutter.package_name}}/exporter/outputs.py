"""Whether two computations of a model's outputs agree: the comparison every check makes.

The export compares what the written SavedModel computes with what the
in-memory model computed (`verify.py`), `publish --check` a download with the
model, the tests a consumer's outputs with the export's. Each compares the same
way: floats up to rounding, everything else exactly.
"""

import weakref

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.reusable import as_dict

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
    actual, expected = bytes_as_array(actual), bytes_as_array(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    if not np.issubdtype(expected.dtype, np.floating) or not expected.size:
        return np.array_equal(actual, expected)
    tolerance = ROUNDING_ULPS * np.spacing(expected.dtype.type(magnitude(expected)))
    return bool(np.allclose(actual, expected, rtol=0, atol=tolerance, equal_nan=True))


def magnitude(values):
    """The largest finite magnitude of a float output: what its tolerances are relative to."""
    return float(np.max(np.abs(values), initial=0, where=np.isfinite(values)))


def bytes_as_array(values):
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
    inputs = tf.nest.map_structure(tf.constant, inputs)
    specs = tf.nest.map_structure(
        lambda tensor: tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype), inputs
    )
    key = repr(specs)  # A dict of specs is no dict key; its repr names every spec.
    traced = _inference_functions.setdefault(model, {})
    if key not in traced:  # A trace costs as much as a hundred calls: one per model.
        model_ref = weakref.ref(model)  # The cache must not keep the model alive.
        traced[key] = tf.function(
            lambda batch: model_ref()(batch, training=False), input_signature=[specs]
        )
    return tf.nest.map_structure(lambda tensor: tensor.numpy(), traced[key](inputs))


# {model: {input spec: its inference tf.function}}, for as long as the model lives.
_inference_functions = weakref.WeakKeyDictionary()
