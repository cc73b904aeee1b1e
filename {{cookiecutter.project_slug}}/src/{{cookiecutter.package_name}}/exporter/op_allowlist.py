"""The op allowlist: which ops a SavedModel may run, read from its graph without running it.

A SavedModel is a program: its functions, and the init op that runs when it is
loaded, can read and write files or call back into Python. `scan_saved_model`
parses `saved_model.pb` only (nothing is loaded or run). It is an allowlist, not a
denylist: every op in every function must be one the model legitimately computes
with. The checkpoint save/restore functions that every SavedModel carries
(reached from its `saver_def`) may use the file ops that saving needs, and
nothing else may. A lookup table may be initialized from a file only when that
file is one of the SavedModel's own assets (a vocabulary, say), never from a path
written into the graph. If your own model needs an op that is not listed, add it
to `MODEL_OPS` after checking what it does.

The export runs it on every export (`export_lib.py`); `python -m <package>.scan`
runs it on any SavedModel, a download before it is trusted.
"""

import dataclasses

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

# Ops of the model's own computation: arithmetic and special functions (Erfc for
# the exact GELU), neural-network kernels (patch extraction and dilation among
# them), linear algebra and FFTs, shapes, variables, calls between functions,
# random numbers (dropout, noise, augmentation, tf.random.Generator), loops
# (RNNs), assertions, fake quantization (quantization-aware training), decoding
# and encoding images held in tensors, bounding boxes, sparse and ragged
# tensors, and what Keras' preprocessing layers compute: text to token ids
# (string ops, lookup tables imported from constants), hashing and crossing,
# bucketing and counting. None of them touches a file, the network or Python.
MODEL_OPS = frozenset({
    "Abs", "Acos", "Acosh", "Add", "AddN", "AddV2", "AdjustContrast", "AdjustContrastv2",
    "AdjustHue", "AdjustSaturation", "All", "Angle", "Any", "ArgMax", "ArgMin", "AsString", "Asin",
    "Asinh", "Assert", "AssignAddVariableOp", "AssignSubVariableOp", "AssignVariableOp", "Atan",
    "Atan2", "Atanh", "AvgPool", "AvgPool3D", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
    "BatchToSpaceND", "BesselI0e", "BesselI1e", "Betainc", "BiasAdd", "Bincount", "Bitcast",
    "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BroadcastArgs", "BroadcastGradientArgs",
    "BroadcastTo", "Bucketize", "Case", "Cast", "Ceil", "CheckNumerics", "CheckNumericsV2",
    "Cholesky", "ClipByValue", "CombinedNonMaxSuppression", "Complex", "ComplexAbs", "ConcatV2",
    "Conj", "ConjugateTranspose", "Const", "Conv", "Conv2D", "Conv2DBackpropInput", "Conv3D",
    "Conv3DBackpropInputV2", "Cos", "Cosh", "CropAndResize", "Cross", "Cumprod", "Cumsum",
    "CumulativeLogsumexp", "DecodeAndCropJpeg", "DecodeBmp", "DecodeGif", "DecodeImage",
    "DecodeJpeg", "DecodePng", "DenseBincount", "DepthToSpace", "DepthwiseConv2dNative",
    "DepthwiseConv2dNativeBackpropInput", "Diag", "DiagPart", "Digamma", "Dilation2D", "Div",
    "DivNoNan", "DrawBoundingBoxesV2", "Einsum", "Elu", "EmptyTensorList", "EncodeJpeg",
    "EncodePng", "EnsureShape", "Equal", "Erf", "Erfc", "Erfinv", "Exp", "ExpandDims", "Expm1",
    "ExtractImagePatches", "ExtractVolumePatches", "FFT", "FFT2D", "FFT3D",
    "FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel",
    "Fill", "Fingerprint", "Floor", "FloorDiv", "FloorMod", "FusedBatchNorm", "FusedBatchNormV2",
    "FusedBatchNormV3", "GatherNd", "GatherV2", "GenerateBoundingBoxProposals", "Greater",
    "GreaterEqual", "HSVToRGB", "HashTableV2", "HistogramFixedWidth", "IFFT", "IFFT2D", "IFFT3D",
    "IRFFT", "IRFFT2D", "Identity", "IdentityN", "If", "Igamma", "Igammac", "Imag",
    "ImageProjectiveTransformV2", "ImageProjectiveTransformV3", "InTopKV2", "Invert",
    "InvertPermutation", "IsFinite", "IsInf", "IsNan", "L2Loss", "LRN", "LeakyRelu", "LeftShift",
    "Less", "LessEqual", "Lgamma", "LinSpace", "Log", "Log1p", "LogMatrixDeterminant", "LogSoftmax",
    "LogicalAnd", "LogicalNot", "LogicalOr", "LookupTableFindV2", "LookupTableImportV2",
    "LookupTableSizeV2", "Lu", "MatMul", "MatrixBandPart", "MatrixDeterminant", "MatrixDiagPartV2",
    "MatrixDiagPartV3", "MatrixDiagV2", "MatrixDiagV3", "MatrixExponential", "MatrixInverse",
    "MatrixLogarithm", "MatrixSetDiagV2", "MatrixSetDiagV3", "MatrixSolve", "MatrixTriangularSolve",
    "Max", "MaxPool", "MaxPool3D", "MaxPoolV2", "MaxPoolWithArgmax", "Maximum", "Mean", "Min",
    "Minimum", "MirrorPad", "Mod", "Mul", "Multinomial", "Neg", "NoOp", "NonMaxSuppressionV3",
    "NonMaxSuppressionV4", "NonMaxSuppressionV5", "NotEqual", "NthElement", "OneHot", "OnesLike",
    # A tf_keras GRU or LSTM given a mask picks cuDNN or its plain kernel in a cond, and
    # TensorFlow saves the cond's gradient functions with it: the cuDNN kernels, the
    # intermediates a cond keeps for its gradient (Optional*), and the gradient kernels of
    # ops listed here. Each computes in memory only.
    "BiasAddGrad", "ConcatOffset", "CudnnRNNBackpropV3", "CudnnRNNV3", "OptionalFromValue",
    "OptionalGetValue", "OptionalHasValue", "OptionalNone", "SigmoidGrad", "StridedSliceGrad",
    "TanhGrad",
    "Pack", "Pad", "PadV2", "PartitionedCall", "Placeholder", "Polygamma", "PopulationCount", "Pow",
    "PreventGradient", "Prod", "Qr", "RFFT", "RFFT2D", "RGBToHSV", "RaggedBincount", "RaggedCross",
    "RaggedGather", "RaggedRange", "RaggedTensorFromVariant", "RaggedTensorToSparse",
    "RaggedTensorToTensor", "RaggedTensorToVariant", "RandomCrop", "RandomGamma", "RandomPoissonV2",
    "RandomShuffle", "RandomStandardNormal", "RandomUniform", "RandomUniformInt", "Range", "Rank",
    "ReadVariableOp", "Real", "RealDiv", "Reciprocal", "ReduceJoin", "RegexFullMatch",
    "RegexReplace", "Relu", "Relu6", "Reshape", "ResizeArea", "ResizeBicubic", "ResizeBilinear",
    "ResizeNearestNeighbor", "ResourceGather", "ResourceGatherNd", "ResourceScatterAdd",
    "ResourceScatterNdAdd", "ResourceScatterNdUpdate", "ResourceScatterSub",
    "ResourceScatterUpdate", "ReverseSequence", "ReverseV2", "RightShift", "Rint", "RngReadAndSkip",
    "Roll", "Round", "Rsqrt", "SampleDistortedBoundingBoxV2", "ScaleAndTranslate", "ScatterNd",
    "ScatterNdNonAliasingAdd", "SegmentMax", "SegmentMean", "SegmentMin", "SegmentProd",
    "SegmentSum", "Select", "SelectV2", "SelfAdjointEigV2", "Selu", "Shape", "Sigmoid", "Sign",
    "Sin", "Sinh", "Size", "Slice", "Snapshot", "Softmax", "Softplus", "Softsign", "SpaceToBatchND",
    "SpaceToDepth", "SparseBincount", "SparseConcat", "SparseCross", "SparseCrossHashed",
    "SparseCrossV2", "SparseFillEmptyRows", "SparseReorder", "SparseReshape", "SparseSegmentMean",
    "SparseSegmentSqrtN", "SparseSegmentSum", "SparseSlice", "SparseSoftmax",
    "SparseTensorDenseMatMul", "SparseToDense", "Split", "SplitV", "Sqrt", "Square",
    "SquaredDifference", "Squeeze", "StatefulPartitionedCall", "StatefulStandardNormalV2",
    "StatefulTruncatedNormal", "StatefulUniform", "StatefulUniformFullInt", "StatefulUniformInt",
    "StatelessCase", "StatelessIf", "StatelessMultinomial", "StatelessParameterizedTruncatedNormal",
    "StatelessRandomGammaV3", "StatelessRandomGetAlg", "StatelessRandomGetKeyCounter",
    "StatelessRandomGetKeyCounterAlg", "StatelessRandomNormal", "StatelessRandomNormalV2",
    "StatelessRandomUniform", "StatelessRandomUniformFullInt", "StatelessRandomUniformFullIntV2",
    "StatelessRandomUniformInt", "StatelessRandomUniformIntV2", "StatelessRandomUniformV2",
    "StatelessSampleDistortedBoundingBox", "StatelessShuffle", "StatelessTruncatedNormal",
    "StatelessTruncatedNormalV2", "StatelessWhile", "StaticRegexFullMatch", "StaticRegexReplace",
    "StopGradient", "StridedSlice", "StringFormat", "StringJoin", "StringLength", "StringLower",
    "StringNGrams", "StringSplit", "StringSplitV2", "StringStrip", "StringToHashBucket",
    "StringToHashBucketFast", "StringToHashBucketStrong", "StringToNumber", "StringUpper", "Sub",
    "Substr", "Sum", "Svd", "Tan", "Tanh", "TensorListConcatV2", "TensorListElementShape",
    "TensorListFromTensor", "TensorListGather", "TensorListGetItem", "TensorListLength",
    "TensorListPopBack", "TensorListPushBack", "TensorListReserve", "TensorListResize",
    "TensorListScatterV2", "TensorListSetItem", "TensorListSplit", "TensorListStack",
    "TensorScatterAdd", "TensorScatterMax", "TensorScatterMin", "TensorScatterSub",
    "TensorScatterUpdate", "Tile", "TopKV2", "Transpose", "TruncateDiv", "TruncatedNormal",
    "UnicodeDecode", "UnicodeDecodeWithOffsets", "UnicodeEncode", "UnicodeScript",
    "UnicodeTranscode", "Unique", "UniqueV2", "UniqueWithCounts", "Unpack", "UnsortedSegmentMax",
    "UnsortedSegmentMin", "UnsortedSegmentProd", "UnsortedSegmentSum", "VarHandleOp",
    "VarIsInitializedOp", "Where", "While", "Xdivy", "Xlog1py", "Xlogy", "ZerosLike", "Zeta"
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
