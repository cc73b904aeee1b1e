"""What TFLite needs to run an export: its builtin kernels, TensorFlow's (Flex), or none it has.

Its converter names two kinds of op it cannot run with the builtins: those
TFLite runs only with TensorFlow's own kernels (Flex ops: convert with
SELECT_TF_OPS and ship the Flex delegate), and those no kernel it has runs,
builtin or Flex (custom ops: only a TFLite op written for them would). Keras'
TextVectorization with `ngrams=` needs `StringNGrams`, one of the latter
(tensorflow/tensorflow#42673).
"""

import re

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.flex_ops import flex_op_names


def converter(export_dir, *, select_ops=False, keep_tensor_lists=False):
    """TFLite's converter of the export's `serving_default`: builtin ops, and Flex ops if asked.

    `keep_tensor_lists` (with `select_ops`): tensor lists the builtins cannot lower
    (a tf_keras GRU's or LSTM's loop) stay Flex ops, as the converter advises.
    """
    tflite_converter = tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=["serving_default"]
    )
    tflite_converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS, *([tf.lite.OpsSet.SELECT_TF_OPS] if select_ops else []),
    ]
    if select_ops and keep_tensor_lists:
        tflite_converter._experimental_lower_tensor_list_ops = False
    return tflite_converter


def refused_ops(error):
    """(Flex ops, custom ops): the ops a failed `TFLiteConverter.convert()` names, sorted.

    The converter lists them in lines of their own: "TF Select ops: StringLower,
    StringSplitV2" (TensorFlow's kernels would run them) and "Custom ops:
    StringNGrams" (no kernel it has would).
    """

    def listed(kind):
        lines = re.findall(rf"^{kind}: (.+)$", str(error), flags=re.MULTILINE)
        return sorted({op.strip() for line in lines for op in line.split(",")})

    return listed("TF Select ops"), listed("Custom ops")


def unlowered_ops(error):
    """The TensorFlow ops a failed conversion could not lower to TFLite, sorted.

    Some refusals list no Select TF or custom ops, only MLIR diagnostics: a
    tf_keras LSTM's `TensorListReserve` "failed to legalize". Their first line
    is a source location, not a reason; the op names are.
    """
    return sorted(set(re.findall(r"failed to legalize operation '(?:tf\.)?(\w+)'", str(error))))


def tflite_needs(export_dir):
    """One line: what converting the `serving_default` signature with the builtins says.

    About a second for the example models: the converter runs at every export.
    """
    try:
        converter(export_dir).convert()
    except Exception as error:  # TFLite's ConverterError has no public name.
        flex_ops, custom_ops = refused_ops(error)
        if custom_ops:
            return f"cannot convert: no TFLite kernel runs {', '.join(custom_ops)}"
        if flex_ops:
            return f"needs Select TF ops (the Flex delegate) for {', '.join(flex_ops)}"
        unlowered = unlowered_ops(error)
        if unlowered:
            return _keeping_tensor_lists(export_dir, unlowered)
        return f"cannot convert: {first_line(error)}"
    return "converts with the builtin ops"


def _keeping_tensor_lists(export_dir, unlowered):
    """The fact for ops the builtins cannot lower (a tf_keras GRU's or LSTM's tensor lists).

    They stay TensorFlow ops with Select TF ops, as `export --tflite_select_ops`
    converts them: the fact names the Flex ops that conversion holds.
    """
    try:
        flatbuffer = converter(export_dir, select_ops=True, keep_tensor_lists=True).convert()
    except Exception:  # Not even then: the ops the builtins could not lower are the reason.
        return f"cannot convert: the converter cannot lower {', '.join(unlowered)}"
    return f"needs Select TF ops (the Flex delegate) for {', '.join(flex_op_names(flatbuffer))}"
