"""What the model doc says for a model TFLite cannot run, and how the converter's refusal reads.

`refused_ops` lives in the exporter (`exporter/tflite_ops.py`), which states what
TFLite needs among the model doc's export facts; the tests read refusals with it.
"""

from {{ cookiecutter.package_name }}.exporter.tflite_ops import refused_ops

__all__ = ["NO_TFLITE", "refused_ops"]

# What the model doc says instead of a TFLite example, for a model TFLite cannot run.
NO_TFLITE = "TensorFlow Lite cannot run this model"
