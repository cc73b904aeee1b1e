"""What TFLite's converter says it cannot run, read from its refusal.

It names two kinds of op: those TFLite runs only with TensorFlow's own kernels
(Flex ops: convert with SELECT_TF_OPS and ship the Flex delegate), and those no
kernel it has runs, builtin or Flex (custom ops: only a TFLite op written for
them would). Keras' TextVectorization with `ngrams=` needs `StringNGrams`, one
of the latter (tensorflow/tensorflow#42673).
"""

import re

# What the model doc says instead of a TFLite example, for a model TFLite cannot run.
NO_TFLITE = "TensorFlow Lite cannot run this model"


def refused_ops(error):
    """(Flex ops, custom ops): the ops a failed `TFLiteConverter.convert()` names, sorted."""

    def listed(kind):  # "TF Select ops: StringLower, StringSplitV2" or "Custom ops: StringNGrams"
        lines = re.findall(rf"^{kind}: (.+)$", str(error), flags=re.MULTILINE)
        return sorted({op.strip() for line in lines for op in line.split(",")})

    return listed("TF Select ops"), listed("Custom ops")
