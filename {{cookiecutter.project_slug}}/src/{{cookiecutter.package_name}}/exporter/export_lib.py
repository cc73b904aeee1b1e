"""The export as a library: `export_saved_model`, which the `export` command runs.

Restore strictly (`restore.py`), save through `ReusableModule` without any
optimizer state, make the one random field deterministic, scan for unsafe ops,
verify in a fresh Python process, and only then move into place; then write
beside it what was asked for (`beside.py`): the package, the TFLite variation,
the signature. Where the export goes is a `Destination` (`destination.py`),
chosen once: a local disk or an object store.
"""

import contextlib
import dataclasses

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.beside import (
    archive_of,
    packed,
    signed,
    signer_of,
    with_tflite,
)
from {{ cookiecutter.package_name }}.exporter.compute_dtype import (
    ComputeDtypeError,
    build_computing_in,
    compare_with_as_trained,
)
from {{ cookiecutter.package_name }}.exporter.destination import NOT_PLACED, destination
from {{ cookiecutter.package_name }}.exporter.errors import ExportError
from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.expectations import Report
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    is_local,
    location,
)
from {{ cookiecutter.package_name }}.exporter.report import format_fields
from {{ cookiecutter.package_name }}.exporter.restore import (
    Restored,
    RestoreError,
    find_source,
    restore,
)
from {{ cookiecutter.package_name }}.exporter.reusable import activity_regularized
from {{ cookiecutter.package_name }}.exporter.signing import signature_path
from {{ cookiecutter.package_name }}.exporter.verified_save import save_verified
from {{ cookiecutter.package_name }}.model import build_model


@dataclasses.dataclass(frozen=True)
class Exported:
    """The outcome of one export, printed by the command."""

    restored: Restored
    report: Report
    archive: str = ""
    sha256: str = ""
    activity_regularized: tuple = ()  # Layers whose activity regularizer was left out.
    model: object = dataclasses.field(default=None, compare=False)  # What was exported.
    tflite: object = None  # The `tflite.TFLiteFile` written beside the export, if any.
    signature: str = ""  # The signature written beside the export, if any.
    rebuilt: object = None  # With --compute_dtype: the `compute_dtype.Rebuilt` comparison.

    def fields(self):
        """The report's fields, in the order the command prints them."""
        fields = [*self.restored.fields(), *self.report.fields()]
        if self.rebuilt:
            fields.append(("computes in", self.rebuilt.field()))
        if self.activity_regularized:
            fields.append((
                "not exported",
                "activity regularizers (they depend on each call's inputs) of "
                + ", ".join(self.activity_regularized),
            ))
        if self.archive:
            fields.append(("package", f"{self.archive} (sha256 {self.sha256})"))
        if self.tflite:
            fields.append(("tflite", self.tflite.field()))
        if self.signature:
            fields.append(("signature", f"{self.signature} (every file, model-signing)"))
        return fields

    def __str__(self):
        return format_fields(self.fields())


def export_saved_model(
    source, export_dir, *, overwrite=False, versioned=False, pack=False, verify=None, warmup=True,
    tflite=False, tflite_select_ops=False, compute_dtype=None, sign_with=None,
):
    """Restores `source` into `build_model()`, saves, scans, verifies, moves into place and packs.

    Args:
      source: a checkpoint directory or path, or a Keras weights file (`restore.py`).
      export_dir: where the SavedModel goes (with `versioned`, a new `<N>/` in it).
      overwrite: replace an existing export (and package) at `export_dir`.
      versioned: write `export_dir/<N>`, N one more than the highest there.
      pack: also write `<export's directory>.tar.gz` and its `.sha256` beside it.
      verify: `verify(path, expected)` returns the verification `Report` or
        raises `VerificationError`; by default, a fresh Python process does
        (`fresh_process.py`). Tests that already prove that process pass
        `verify.verify_saved_model`, which runs in this one.
      warmup: write TF Serving's warmup requests into the export (`warmup.py`).
      tflite: also write `<export's directory>.tflite` and its `.sha256`, with
        builtin ops only, checked with LiteRT (`tflite.py`).
      tflite_select_ops: as `tflite`, and accept Select TF ops where builtins refuse.
      compute_dtype: "float32" rebuilds a mixed-precision model to compute in float32
        before the weights are restored (`compute_dtype.py`); None exports it as built.
      sign_with: a `signing.SigningKey` (or a PEM private key's path), or
        `keyless.Sigstore()`: sign the verified export and write
        `<export's directory>.sig` beside it (`signing.py`).

    Returns:
      what was `Exported`.
    Raises:
      ExportError: nothing was moved into place.
    """
    try:
        source, export_dir = location(source), location(export_dir)
    except UnknownSchemeError as error:
        raise ExportError(str(error)) from None
    # Chosen once: local disks (NFS too) rename into place under a lock, others upload.
    place = destination(export_dir, overwrite=overwrite, versioned=versioned)
    for path in (export_dir, place.parent):
        if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path):
            raise ExportError(f"{path} is a file; --export_dir must name a directory")
    signer = signer_of(sign_with, export_dir) if sign_with else None  # Refused before any work.
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(place.prepared())
        except OSError as error:
            raise ExportError(f"cannot write in {place.parent}: {error.strerror}") from None
        _refuse_taken(place, pack, signer)
        exported = _export_into_place(source, place, verify, warmup, compute_dtype)
        exported = packed(exported, overwrite) if pack else exported
        if tflite or tflite_select_ops:
            exported = with_tflite(exported, overwrite, select_ops=tflite_select_ops)
        if signer:
            return signed(exported, signer)
        if overwrite and is_local(export_dir):  # The replaced export's: it would refuse this one.
            signature_path(exported.report.path).unlink(missing_ok=True)
        return exported


def _refuse_taken(place, pack, signer):
    """Refuses a taken target or package before seconds of work (moving into place checks again)."""
    if place.versioned or place.overwrite:
        return
    if place.is_taken(place.export_dir):
        raise ExportError(f"{place.export_dir} is not empty; pass --overwrite to replace it")
    beside = [archive_of(place.export_dir)] if pack else []
    beside += [signature_path(place.export_dir)] if signer else []
    for path in beside:
        if place.is_taken(path):
            raise ExportError(f"{path} exists; pass --overwrite to replace it")


def _export_into_place(source, place, verify, warmup=True, compute_dtype=None):
    """Restores `source` into `build_model()`, saves and verifies it staged, moves it into place."""
    try:
        source = find_source(source)  # Before the model is built: seconds for a large one.
    except RestoreError as error:
        raise ExportError(str(error)) from None
    try:
        model = build_computing_in(build_model, compute_dtype)
    except ComputeDtypeError as error:
        raise ExportError(str(error)) from None
    try:
        restored = restore(model, source)
        rebuilt = _compared_with_as_trained(model, source) if compute_dtype else None
        with place.staged() as staged:
            version = place.next_version() if place.versioned else None
            report = save_verified(model, staged, verify, warmup=warmup, version=version)
            placed = place.move_into_place(staged)
    except (RestoreError, ComputeDtypeError, *NOT_PLACED) as error:
        raise ExportError(str(error)) from None
    except PermissionError as error:
        raise ExportError(f"cannot write in {place.parent}: {error.strerror}") from None
    return Exported(
        restored,
        dataclasses.replace(report, path=str(placed)),
        activity_regularized=tuple(activity_regularized(model)),
        model=model,
        rebuilt=rebuilt,
    )


def _compared_with_as_trained(model, source):
    """`--compute_dtype`'s check: the float32 rebuild against the model as written, restored."""
    as_trained = build_model()
    restore(as_trained, source)
    return compare_with_as_trained(model, as_trained, example_inputs(8))
