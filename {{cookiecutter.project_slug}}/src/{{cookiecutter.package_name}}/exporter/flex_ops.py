"""The Flex ops of a `.tflite`, made to serialize the same way on every conversion.

A Flex op (a TensorFlow op that `--tflite_select_ops` let into the file) carries
its TensorFlow `NodeDef`, serialized, in its custom options. The converter
serializes the NodeDef's `attr` map in hash-map order, which changes from one
conversion to the next: the same SavedModel gave a different `.tflite` almost
every time. Each NodeDef is re-serialized deterministically in place (the same
fields, so the same length); everything else the converter writes is already
the same every time.
"""

import collections

from flatbuffers import flexbuffers
from tensorflow.core.framework import node_def_pb2
from tensorflow.lite.python import schema_py_generated as schema


class FlexOpsError(Exception):
    """The Flex ops' NodeDefs could not be found where the file keeps them."""


def deterministic(flatbuffer):
    """`flatbuffer` with every Flex op's NodeDef serialized deterministically."""
    fixed = bytearray(flatbuffer)
    for node_def, count in collections.Counter(_flex_node_defs(flatbuffer)).items():
        canonical = node_def_pb2.NodeDef.FromString(node_def).SerializeToString(deterministic=True)
        starts = _occurrences(bytes(flatbuffer), node_def)
        # Found once per op that holds it, and nowhere else (inside a weight, say).
        if len(canonical) != len(node_def) or len(starts) != count:
            raise FlexOpsError("a Flex op's NodeDef is not where its custom options say")
        for start in starts:
            fixed[start:start + len(node_def)] = canonical
    return bytes(fixed)


def flex_op_names(flatbuffer):
    """The names of the TensorFlow ops `flatbuffer` runs as Flex ops, sorted."""
    model = schema.Model.GetRootAs(flatbuffer, 0)
    codes = (model.OperatorCodes(index).CustomCode() or b""
             for index in range(model.OperatorCodesLength()))
    names = {code.decode().removeprefix("Flex") for code in codes if code.startswith(b"Flex")}
    return sorted(names)


def _occurrences(data, part):
    starts, start = [], data.find(part)
    while start >= 0:
        starts.append(start)
        start = data.find(part, start + 1)
    return starts


def _flex_node_defs(flatbuffer):
    """The serialized NodeDef of every Flex op, in the order of the file's operators."""
    model = schema.Model.GetRootAs(flatbuffer, 0)
    codes = [
        code.CustomCode() for code in map(model.OperatorCodes, range(model.OperatorCodesLength()))
    ]
    for subgraph in map(model.Subgraphs, range(model.SubgraphsLength())):
        for operator in map(subgraph.Operators, range(subgraph.OperatorsLength())):
            if (codes[operator.OpcodeIndex()] or b"").startswith(b"Flex"):
                # Custom options: a FlexBuffer vector, [op name, serialized NodeDef].
                options = operator.CustomOptionsAsNumpy().tobytes()
                yield flexbuffers.GetRoot(options).AsVector[1].AsStringBytes
