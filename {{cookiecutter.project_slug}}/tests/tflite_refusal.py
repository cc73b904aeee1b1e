"""What TFLite makes of an export, read apart from the exporter's own check; what the doc says.

`convert_with_tensorflow_ops` converts as the model doc's TFLite example does
with TensorFlow ops enabled, and reads which ops became Flex ops from TFLite's
own analyzer: the tests compare `export --tflite` and the doc against it.
`refused_ops` lives in the exporter (`exporter/tflite_ops.py`), which states what
TFLite needs among the model doc's export facts; the tests read refusals with it.
"""

import contextlib
import io
import re

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from {{ cookiecutter.package_name }}.exporter.tflite_ops import refused_ops

__all__ = ["NO_TFLITE", "convert_with_tensorflow_ops", "graph_ops", "refused_ops"]

# What the model doc says instead of a TFLite example, for a model TFLite cannot run.
NO_TFLITE = "TensorFlow Lite cannot run this model"


def convert_with_tensorflow_ops(export_dir):
    """(flatbuffer, the TensorFlow ops it runs as Flex ops, the ops no TFLite kernel runs).

    Converted with TFLite's builtin kernels and, for the ops they cannot run,
    TensorFlow's own (SELECT_TF_OPS): a model that needs none gets the same
    flatbuffer as from the builtins alone. A model with an op that neither
    runs gets no flatbuffer.
    """
    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=["serving_default"]
    )
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    try:
        flatbuffer = converter.convert()
    except Exception as error:  # TFLite's ConverterError has no public name.
        _, custom_ops = refused_ops(error)
        if not custom_ops:
            raise
        return None, [], custom_ops
    analysis = io.StringIO()
    with contextlib.redirect_stdout(analysis):  # One line per op: "Op#0 FlexStringLower(...".
        tf.lite.experimental.Analyzer.analyze(model_content=flatbuffer)
    return flatbuffer, sorted(set(re.findall(r"Flex(\w+)", analysis.getvalue()))), []


def graph_ops(export_dir):
    """The types of every op in the SavedModel's graph and functions."""
    saved_model = saved_model_pb2.SavedModel.FromString(
        (export_dir / "saved_model.pb").read_bytes()
    )
    graph = saved_model.meta_graphs[0].graph_def
    nodes = [*graph.node, *(node for f in graph.library.function for node in f.node_def)]
    return {node.op for node in nodes}
