"""Which ops of a loaded SavedModel may stop fine-tuning's gradient, read from its traces.

Taking the gradient of a large model's trace costs seconds; reading which op
types it holds costs little. `verify.py` takes the gradient only when this
finds an op that may stop it.
"""

import tensorflow as tf
from tensorflow.python.framework import op_def_registry
from tensorflow.python.framework import ops as tf_ops

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
