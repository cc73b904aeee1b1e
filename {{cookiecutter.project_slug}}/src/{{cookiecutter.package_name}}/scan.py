"""Inspect a SavedModel's graph, without executing it, for ops a model has no business running.

    python -m {{ cookiecutter.package_name }}.scan PATH [PATH ...]

PATH is a SavedModel directory: a local path or a URL TensorFlow reads (`gs://...`).

A SavedModel is a program: its functions, and the init op that runs when it is
loaded, can read and write files or call back into Python. This scan parses
`saved_model.pb` only (nothing is loaded or run), so a consumer can check a
download before trusting it; `export.py` runs it on every export.

It is an allowlist, not a denylist: every op in every function must be one the
model legitimately computes with. The checkpoint save/restore functions that
every SavedModel carries (reached from its `saver_def`) may use the file ops
that saving needs, and nothing else may. A lookup table may be initialized
from a file only when that file is one of the SavedModel's own assets (a
vocabulary, say), never from a path written into the graph. If your own model needs an op that is
not listed, add it to `MODEL_OPS` after checking what it does.

Exit status: 0 when clean, 1 when an op is refused (each finding on its own line).
"""

import dataclasses
import sys

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.filesystems import UnknownSchemeError, location

# Ops of the model's own computation: arithmetic and special functions (Erfc for
# the exact GELU), neural-network kernels, shapes, variables, calls between
# functions, random numbers (dropout, noise, augmentation), loops (RNNs), and
# what Keras' preprocessing layers compute: text to token ids (string ops, ragged
# tensors, lookup tables imported from constants), hashing, bucketing and counting.
# None of them touches a file, the network or Python.
MODEL_OPS = frozenset({
    "Abs", "Acos", "Acosh", "Add", "AddN", "AddV2", "AdjustContrastv2", "AdjustHue",
    "AdjustSaturation", "All", "Any", "ArgMax", "ArgMin", "Asin", "Asinh", "AssignAddVariableOp",
    "AssignSubVariableOp", "AssignVariableOp", "Atan", "Atan2", "Atanh", "AvgPool", "AvgPool3D",
    "BatchMatMulV2", "BatchMatMulV3", "BatchToSpaceND", "BiasAdd", "Bincount", "BroadcastArgs",
    "BroadcastGradientArgs", "BroadcastTo", "Bucketize", "Cast", "Ceil", "ClipByValue", "ConcatV2",
    "Const", "Conv2D", "Conv2DBackpropInput", "Conv3D", "Conv3DBackpropInputV2", "Cos", "Cosh",
    "CropAndResize", "Cumprod", "Cumsum", "DenseBincount", "DepthToSpace", "DepthwiseConv2dNative",
    "Digamma", "Div", "DivNoNan", "Einsum", "Elu", "EnsureShape", "Equal", "Erf", "Erfc", "Erfinv",
    "Exp", "ExpandDims", "Expm1", "Fill", "Floor", "FloorDiv", "FloorMod", "FusedBatchNormV3",
    "GatherNd", "GatherV2", "Greater", "GreaterEqual", "HSVToRGB", "HashTableV2", "Identity",
    "IdentityN", "If", "ImageProjectiveTransformV3", "InvertPermutation", "IsFinite", "IsInf",
    "IsNan", "L2Loss", "LRN", "LeakyRelu", "Less", "LessEqual", "Lgamma", "LinSpace", "Log",
    "Log1p", "LogSoftmax", "LogicalAnd", "LogicalNot", "LogicalOr", "LookupTableFindV2",
    "LookupTableImportV2", "LookupTableSizeV2", "MatMul", "MatrixBandPart", "MatrixDiagPartV3",
    "MatrixDiagV3", "MatrixSetDiagV3", "Max", "MaxPool", "MaxPool3D", "Maximum", "Mean", "Min",
    "Minimum", "MirrorPad", "Mod", "Mul", "Neg", "NoOp", "NotEqual", "OneHot", "OnesLike", "Pack",
    "Pad", "PadV2", "PartitionedCall", "Placeholder", "Pow", "Prod", "RGBToHSV", "RaggedBincount",
    "RaggedTensorToTensor", "RandomStandardNormal", "RandomUniform", "RandomUniformInt", "Range",
    "Rank", "ReadVariableOp", "RealDiv", "Reciprocal", "RegexReplace", "Relu", "Relu6", "Reshape",
    "ResizeArea", "ResizeBicubic", "ResizeBilinear", "ResizeNearestNeighbor", "ResourceGather",
    "ReverseSequence", "ReverseV2", "Rint", "Roll", "Round", "Rsqrt", "ScatterNd", "SegmentMean",
    "SegmentSum", "Select", "SelectV2", "Selu", "Shape", "Sigmoid", "Sign", "Sin", "Sinh", "Size",
    "Slice", "Softmax", "Softplus", "Softsign", "SpaceToBatchND", "SpaceToDepth", "SparseBincount",
    "SparseToDense", "Split", "SplitV", "Sqrt", "Square", "SquaredDifference", "Squeeze",
    "StatefulPartitionedCall", "StatelessIf", "StatelessRandomGetKeyCounter",
    "StatelessRandomNormalV2", "StatelessRandomUniformFullIntV2", "StatelessRandomUniformIntV2",
    "StatelessRandomUniformV2", "StatelessTruncatedNormalV2", "StatelessWhile",
    "StaticRegexReplace", "StopGradient", "StridedSlice", "StringLength", "StringLower",
    "StringNGrams", "StringSplitV2", "StringStrip", "StringToHashBucket", "StringToHashBucketFast",
    "StringToHashBucketStrong", "Sub", "Substr", "Sum", "Tan", "Tanh", "TensorListElementShape",
    "TensorListFromTensor", "TensorListGetItem", "TensorListLength", "TensorListReserve",
    "TensorListSetItem", "TensorListStack", "TensorScatterAdd", "TensorScatterUpdate", "Tile",
    "TopKV2", "Transpose", "TruncateDiv", "TruncatedNormal", "Unpack", "UnsortedSegmentMax",
    "UnsortedSegmentMin", "UnsortedSegmentSum", "VarHandleOp", "VarIsInitializedOp", "Where",
    "While", "Xdivy", "Xlog1py", "Xlogy", "ZerosLike",
})

# Ops the checkpoint save and restore functions of every SavedModel use.
SAVER_OPS = MODEL_OPS | {
    "DisableCopyOnRead", "MergeV2Checkpoints", "RestoreV2", "SaveV2", "ShardedFilename",
    "StaticRegexFullMatch", "StringJoin",
}

# Ops that read a file into a lookup table: allowed only on the SavedModel's assets.
TABLE_FROM_FILE_OPS = frozenset({"InitializeTableFromTextFileV2"})

# Why the most dangerous ops are refused, for a message a reader can act on.
REASONS = {
    "ReadFile": "reads files", "WriteFile": "writes files", "SaveV2": "writes files",
    "RestoreV2": "reads files", "MergeV2Checkpoints": "writes files",
    "MatchingFiles": "lists files", "WholeFileReader": "reads files",
    "WholeFileReaderV2": "reads files", "InitializeTableFromTextFile": "reads files",
    "InitializeTableFromTextFileV2": "reads files", "PrintV2": "prints", "Print": "prints",
    "PyFunc": "calls Python", "PyFuncStateless": "calls Python", "EagerPyFunc": "calls Python",
    "DatasetFromGraph": "runs an embedded graph",
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """An op that is not allowed where it was found."""

    op: str
    node: str
    function: str  # "" for the top-level graph.

    def __str__(self):
        where = f"function {self.function}" if self.function else "the top-level graph"
        reason = REASONS.get(self.op, "is not on the allowlist")
        return f"{self.op} ({reason}): node {self.node!r} in {where}"


def _called_functions(node):
    """Names of the functions a node calls: by op name or through function-valued attrs."""
    names = [node.op]
    for value in node.attr.values():
        names.append(value.func.name)
        names.extend(func.name for func in value.list.func)
    return [name for name in names if name]


def _asset_arguments(meta_graph, function):
    """Names of `function`'s arguments that loading binds to the SavedModel's assets."""
    concrete = meta_graph.object_graph_def.concrete_functions.get(function.signature.name)
    if concrete is None:
        return set()
    bound = list(concrete.bound_inputs)
    # Bound (captured) inputs are the function's last arguments.
    captured = function.signature.input_arg[len(function.signature.input_arg) - len(bound):]
    nodes = meta_graph.object_graph_def.nodes
    return {
        argument.name for argument, node_id in zip(captured, bound, strict=True)
        if nodes[node_id].WhichOneof("kind") == "asset"
    }


def _allowed(node, allowed, asset_arguments):
    if node.op in allowed:
        return True
    # A table read from a file: input 1 is the file name, which must be an asset.
    return node.op in TABLE_FROM_FILE_OPS and node.input[1].split(":")[0] in asset_arguments


def scan_saved_model(path):
    """Returns the `Finding`s of the SavedModel in directory `path` (empty when clean)."""
    saved_model = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(tf.io.gfile.join(path, "saved_model.pb"), "rb") as file:
        saved_model.ParseFromString(file.read())
    findings = []
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        functions = {function.signature.name: function for function in graph.library.function}
        nodes = {node.name: node for node in graph.node}

        # The save/restore functions: everything reachable from the saver_def's ops.
        saver = meta_graph.saver_def
        pending = [
            name
            for tensor in (saver.save_tensor_name, saver.restore_op_name)
            if tensor and tensor.split(":")[0] in nodes
            for name in _called_functions(nodes[tensor.split(":")[0]])
        ]
        saver_functions = set()
        while pending:
            name = pending.pop()
            if name in functions and name not in saver_functions:
                saver_functions.add(name)
                for node in functions[name].node_def:
                    pending.extend(_called_functions(node))

        findings.extend(
            Finding(node.op, node.name, "")
            for node in graph.node
            if node.op not in MODEL_OPS and node.op not in functions
        )
        for name, function in functions.items():
            allowed = SAVER_OPS if name in saver_functions else MODEL_OPS
            assets = _asset_arguments(meta_graph, function)
            findings.extend(
                Finding(node.op, node.name, name)
                for node in function.node_def
                if not _allowed(node, allowed, assets) and node.op not in functions
            )
    return findings


def main(argv):
    paths = argv[1:]
    if not paths:
        sys.exit("ERROR: name at least one SavedModel directory to scan")
    refused = False
    for path in paths:
        try:
            findings = scan_saved_model(location(path))
        except UnknownSchemeError as error:
            sys.exit(f"ERROR: {error}")
        for finding in findings:
            print(f"{path}: REFUSED {finding}")
        if not findings:
            print(f"{path}: clean (every op is on the allowlist)")
        refused = refused or bool(findings)
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    cli.run(main)
