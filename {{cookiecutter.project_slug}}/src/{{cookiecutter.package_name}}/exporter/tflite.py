"""The export's TFLite variation: converted, run by LiteRT, checked, written beside the export.

`write_tflite(export_dir, target)` converts the export's `serving_default`
with TFLite's builtin ops only, runs the result with LiteRT's interpreter (the
`ai_edge_litert` package, which replaces the deprecated `tf.lite.Interpreter`)
on the example inputs, compares it with the SavedModel (`litert_check.py`),
and only then writes `target` and `target.sha256`. A refused or failed
conversion writes nothing and leaves any previous file as it was.

Select TF ops (Flex ops: TensorFlow's own kernels inside the `.tflite`) only
with `select_ops`: Keras' own LiteRT export allows them silently, but no pip
runtime runs them (google-ai-edge/LiteRT#6458), so such a file is not run here.
"""

import dataclasses
import hashlib

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.filesystems import split
from {{ cookiecutter.package_name }}.exporter.flex_ops import (
    FlexOpsError,
    deterministic,
    flex_op_names,
)
from {{ cookiecutter.package_name }}.exporter.litert_check import (
    TFLiteError,
    compare_with_saved_model,
    require_litert,
)
from {{ cookiecutter.package_name }}.exporter.tflite_ops import (
    converter,
    refused_ops,
    unlowered_ops,
)

FLEX_RUNTIME = (
    "a TFLite runtime with the Flex delegate (on Android, "
    "org.tensorflow:tensorflow-lite-select-tf-ops), which pip's ai-edge-litert lacks "
    "(google-ai-edge/LiteRT#6458)"
)


@dataclasses.dataclass(frozen=True)
class TFLiteFile:
    """A written `.tflite`: where, how large, its SHA-256, and how it was checked."""

    path: str
    size: int
    sha256: str
    max_difference: float | None = None  # LiteRT against the SavedModel; None: not run.
    bound: float | None = None
    flex_ops: tuple = ()

    def field(self):
        """The value of the export report's `tflite` field."""
        written = f"{self.path} ({self.size:,} bytes, sha256 {self.sha256})"
        if self.flex_ops:
            flex_ops = ", ".join(self.flex_ops)
            return f"{written}; not run: its Flex ops ({flex_ops}) need {FLEX_RUNTIME}"
        return (
            f"{written}; LiteRT outputs within {self.max_difference:.3g} of the SavedModel's "
            f"(bound {self.bound:.3g})"
        )


def tflite_path(export_dir):
    """The TFLite variation of an export: beside it (`export/1` -> `export/1.tflite`)."""
    return f"{export_dir}.tflite"


def write_tflite(export_dir, target, *, select_ops=False, overwrite=False):
    """Converts, checks and writes `target` and `target.sha256`; returns the `TFLiteFile`.

    `export_dir` and `target` may be local paths or URLs (`filesystems.py`).
    Raises:
      TFLiteError: nothing was written; a previous `target` is as it was.
    """
    if tf.io.gfile.exists(target) and not overwrite:
        raise TFLiteError(f"{target} exists; pass --overwrite to replace it")
    require_litert()
    flatbuffer, flex_ops = convert(export_dir, select_ops=select_ops)
    checked = {}
    if not flex_ops:
        difference, bound = compare_with_saved_model(flatbuffer, export_dir)
        if not difference <= bound:  # NaN too.
            raise TFLiteError(
                f"LiteRT computes the .tflite {difference:.3g} away from the SavedModel "
                f"(bound {bound:.3g}): one of its kernels computes a layer otherwise, as for a "
                "convolution with padding='same' and a stride larger than its kernel "
                "(google-ai-edge/LiteRT#9256, tensorflow/tensorflow#61815); change that layer"
            )
        checked = {"max_difference": difference, "bound": bound}
    digest = _write_atomically(target, flatbuffer)
    return TFLiteFile(str(target), len(flatbuffer), digest, flex_ops=flex_ops, **checked)


def convert(export_dir, *, select_ops=False):
    """(the `.tflite` bytes, the Flex ops it holds) of the export's `serving_default`.

    The builtins first: with `select_ops`, a model they convert gets no Flex op,
    and one they refuse is converted again with Select TF ops, whose names the
    refusal gave. The bytes depend on the SavedModel and the TensorFlow version
    alone (it is written into the file's CONVERSION_METADATA), once the Flex
    ops' NodeDefs are serialized deterministically (`flex_ops.py`).
    """
    try:
        return converter(export_dir).convert(), ()
    except Exception as error:  # TFLite's ConverterError has no public name.
        flex_ops, custom_ops = refused_ops(error)
        unlowered, reason = unlowered_ops(error), first_line(error)
    if custom_ops:
        raise TFLiteError(
            f"no TFLite kernel runs {', '.join(custom_ops)}, builtin or TensorFlow's; only a "
            "custom TFLite op would (tensorflow/tensorflow#42673)"
        )
    if not flex_ops and not unlowered:
        raise TFLiteError(f"TFLite's converter failed: {reason}")
    if not flex_ops and not select_ops:  # Its first line is a source location, not a reason.
        raise TFLiteError(
            f"TFLite's converter cannot lower {', '.join(unlowered)}; --tflite_select_ops "
            f"keeps them as TensorFlow (Flex) ops, and the .tflite then needs {FLEX_RUNTIME}"
        )
    if not select_ops:
        raise TFLiteError(
            f"TFLite's builtin ops cannot run {', '.join(flex_ops)}; --tflite_select_ops "
            f"converts them as TensorFlow (Flex) ops, and the .tflite then needs {FLEX_RUNTIME}"
        )
    try:
        flatbuffer = converter(
            export_dir, select_ops=True, keep_tensor_lists=bool(unlowered)
        ).convert()
    except Exception as error:  # TFLite's ConverterError has no public name.
        raise TFLiteError(f"TFLite's converter failed: {first_line(error)}") from None
    # Refused for tensor lists it could not lower (a GRU's, an LSTM's), the builtins
    # named no Flex op: Select TF ops keep them (`tflite_ops.py`); the file names them.
    flex_ops = flex_ops or flex_op_names(flatbuffer)
    try:  # The converter writes Flex ops' attributes in another order each time.
        return deterministic(flatbuffer), tuple(flex_ops)
    except FlexOpsError as error:
        raise TFLiteError(str(error)) from None


def _write_atomically(target, content):
    """Writes `content` to `target` by one rename, then `target.sha256`; returns the digest.

    On a local disk the rename is atomic; on an object store it is one copy of
    one object, which appears whole (as for the package, `pack.py`).
    """
    parent, name = split(target)
    digest = hashlib.sha256(content).hexdigest()
    for path, data in ((target, content), (f"{target}.sha256", f"{digest}  {name}\n".encode())):
        partial = tf.io.gfile.join(parent, f".{split(path)[1]}.partial")
        try:
            with tf.io.gfile.GFile(partial, "wb") as file:
                file.write(data)
            tf.io.gfile.rename(partial, path, overwrite=True)
        except (OSError, tf.errors.OpError) as error:
            if tf.io.gfile.exists(partial):
                tf.io.gfile.remove(partial)
            raise TFLiteError(f"writing {path} failed: {first_line(error)}") from None
    return digest
