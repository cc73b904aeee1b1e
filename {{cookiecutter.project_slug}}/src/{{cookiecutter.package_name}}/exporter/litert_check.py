"""Whether LiteRT computes a `.tflite` as the SavedModel it was converted from does.

LiteRT's interpreter (`ai_edge_litert`, the export's `tflite` extra) runs the
flatbuffer on the example inputs (`example_inputs(4, seed=1)`, the
inputs the export verifies with), at a batch size of 4: its signature runner
resizes the input, whose batch dimension the converter set to 1.
"""

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.input_signature import call_signature
from {{ cookiecutter.package_name }}.exporter.outputs import magnitude

# How far LiteRT's float outputs may lie from the SavedModel's: this fraction of
# the output's largest magnitude. The converter folds batch normalization into
# the kernels and fuses activations, and LiteRT's CPU kernels (XNNPACK) sum in
# their own order: rounding, a few float32 ulps (1.2e-7 relative) per layer,
# measured at 3 ulps for the example networks. 1e-4 leaves a thousand ulps for
# deep ones; a kernel that computes a layer otherwise (google-ai-edge/LiteRT#9256)
# moves outputs by percents. Integer and string outputs must be equal.
RELATIVE_TOLERANCE = 1e-4


class TFLiteError(Exception):
    """No `.tflite` was written: the model does not convert, or LiteRT computes it otherwise."""


def require_litert():
    """Refuses in one line, before seconds of converting, when `ai_edge_litert` is missing."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        raise TFLiteError(
            "--tflite checks the .tflite with LiteRT: pip install "
            "'{{ cookiecutter.project_slug }}[tflite]' (the ai-edge-litert package)"
        ) from None


def compare_with_saved_model(flatbuffer, export_dir):
    """(largest difference, its bound): LiteRT's outputs of `flatbuffer` against the export's.

    Of several outputs, those of the one closest to its bound (or past it).
    Raises:
      TFLiteError: the two have other outputs, or shapes.
    """
    from ai_edge_litert.interpreter import Interpreter  # An optional dependency.

    inputs = example_inputs(4, seed=1)
    signature = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    if not isinstance(inputs, dict):  # One input, by the name the signature gives it.
        (name,) = signature.structured_input_signature[1]
        inputs = {name: inputs}
    expected = {key: value.numpy() for key, value in call_signature(signature, inputs).items()}
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    outputs = runner(**inputs)
    if sorted(outputs) != sorted(expected):
        raise TFLiteError(
            f"the .tflite returns {', '.join(sorted(outputs))}, the SavedModel "
            f"{', '.join(sorted(expected))}"
        )
    measured = [_difference(key, outputs[key], expected[key]) for key in sorted(expected)]
    return max(measured, key=_share_of_bound)


def _share_of_bound(measured):
    difference, bound = measured
    if np.isnan(difference) or (difference and not bound):
        return np.inf
    return difference / bound if bound else 0.0


def _difference(key, actual, expected):
    """(largest absolute difference, its bound) of one output; inf if it cannot be compared."""
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        raise TFLiteError(
            f"the .tflite's {key} is {actual.dtype}{list(actual.shape)}, the SavedModel's "
            f"{expected.dtype}{list(expected.shape)}"
        )
    if not np.issubdtype(expected.dtype, np.floating):
        return (0.0 if np.array_equal(actual, expected) else np.inf), 0.0
    if not expected.size:
        return 0.0, 0.0
    difference = np.max(np.abs(actual.astype(np.float64) - expected))  # NaN if either is.
    return float(difference), RELATIVE_TOLERANCE * magnitude(expected)
