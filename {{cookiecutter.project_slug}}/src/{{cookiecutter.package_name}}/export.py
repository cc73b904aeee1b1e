"""Export the trained model as a reusable TF2 SavedModel.

    python -m {{ cookiecutter.package_name }}.export --checkpoint_dir DIR --export_dir DIR
        [--versioned] [--pack]
    python -m {{ cookiecutter.package_name }}.export --weights model.keras --export_dir DIR

`export_saved_model` restores the trained weights strictly (`restore.py`),
saves the model through `ReusableModule` without any optimizer state, makes the
SavedModel's one random field deterministic, scans the graph for unsafe ops,
verifies the result in a fresh Python process, and only then publishes it
and packs it (`pack.py`). A failed or killed export leaves any previous export
untouched and nothing half-written in its place; a refused one, no directory
it made either.

`--export_dir` and the checkpoint may be local paths or URLs of TensorFlow's
filesystems (`filesystems.py`): `gs://bucket/models/x`, `ram://x`, `s3://...`
with tensorflow-io. On local disks and NFS the export is published by an
atomic rename (`staging.py`); elsewhere it is verified on local disk, then
uploaded with `saved_model.pb` last and read back (`upload.py`).
"""

import contextlib
import dataclasses
from pathlib import Path
import sys
import tempfile
import uuid

from absl import flags
import tensorflow as tf
from tensorflow.core.protobuf import fingerprint_pb2

from {{ cookiecutter.package_name }}.data import synthetic_examples
from {{ cookiecutter.package_name }}.exporter import cli, upload
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    is_local,
    location,
    split,
)
from {{ cookiecutter.package_name }}.exporter.fresh_process import FreshProcessVerifier
from {{ cookiecutter.package_name }}.exporter.pack import PackError, pack_saved_model
from {{ cookiecutter.package_name }}.exporter.restore import (
    Restored,
    RestoreError,
    find_source,
    restore,
)
from {{ cookiecutter.package_name }}.exporter.reusable import (
    HyperparametersError,
    InputsError,
    OutputsError,
    ReusableModule,
    activity_regularized,
    save_reusable,
)
from {{ cookiecutter.package_name }}.exporter.staging import (
    TargetTakenError,
    export_parent,
    is_taken,
    move_into_place,
    remove_abandoned,
    staging_dir,
)
from {{ cookiecutter.package_name }}.exporter.verify import Expectations, Report, VerificationError
from {{ cookiecutter.package_name }}.model import (
    HYPERPARAMETERS,
    INPUT_SIGNATURE,
    OUTPUT_KEY,
    build_model,
)
from {{ cookiecutter.package_name }}.scan import REASONS, scan_saved_model


class ExportError(Exception):
    """The export was refused; nothing was published."""


@dataclasses.dataclass(frozen=True)
class Exported:
    """The outcome of one export, printed by the command."""

    restored: Restored
    report: Report
    archive: str = ""
    sha256: str = ""
    activity_regularized: tuple = ()  # Layers whose activity regularizer was left out.

    def __str__(self):
        lines = [str(self.restored), str(self.report)]
        if self.activity_regularized:
            lines.append(
                "not exported:          activity regularizers (they depend on each call's "
                f"inputs) of {', '.join(self.activity_regularized)}"
            )
        if self.archive:
            lines.append(f"package:               {self.archive} (sha256 {self.sha256})")
        return "\n".join(lines)


def reusable_module(model):
    """`ReusableModule` of `model` with the interface `model.py`'s contract declares.

    Here, not in reusable.py: the fresh-process verifier imports reusable.py, and
    must not import `model.py`, whose imports (a custom op library, say) would
    make a SavedModel load there that loads nowhere else.
    """
    return ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY, HYPERPARAMETERS)


def export_saved_model(
    source, export_dir, *, overwrite=False, versioned=False, pack=False, verify=None
):
    """Restores `source` into `build_model()`, saves, scans, verifies, publishes and packs.

    Args:
      source: a checkpoint directory or path, or a Keras weights file (`restore.py`).
      export_dir: where the SavedModel goes (with `versioned`, a new `<N>/` in it).
      overwrite: replace an existing export (and package) at `export_dir`.
      versioned: write `export_dir/<N>`, N one more than the highest there.
      pack: also write `<published directory>.tar.gz` and its `.sha256` beside it.
      verify: `verify(path, expected)` returns the verification `Report` or
        raises `VerificationError`; by default, a fresh Python process does
        (`fresh_process.py`). Tests that already prove that process pass
        `verify.verify_saved_model`, which runs in this one.

    Returns:
      what was `Exported`.
    Raises:
      ExportError: nothing was published.
    """
    try:
        source, export_dir = location(source), location(export_dir)
    except UnknownSchemeError as error:
        raise ExportError(str(error)) from None
    # Local disks (NFS too) publish by rename under a lock; other filesystems by upload.
    local = is_local(export_dir)
    parent = export_dir if versioned else split(export_dir)[0]
    for path in (export_dir, parent):
        if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path):
            raise ExportError(f"{path} is a file; --export_dir must name a directory")
    with contextlib.ExitStack() as stack:
        if local:
            try:
                stack.enter_context(export_parent(parent))
                remove_abandoned(parent)
            except OSError as error:
                raise ExportError(f"cannot write in {parent}: {error.strerror}") from None
        taken = is_taken if local else upload.is_taken
        # Checked again when publishing; refused here first, before seconds of work.
        if not versioned and not overwrite and taken(export_dir):
            raise ExportError(f"{export_dir} is not empty; pass --overwrite to replace it")
        if pack and not versioned and not overwrite and taken(_archive_of(export_dir)):
            raise ExportError(f"{_archive_of(export_dir)} exists; pass --overwrite to replace it")

        try:
            source = find_source(source)  # Before the model is built: seconds for a large one.
        except RestoreError as error:
            raise ExportError(str(error)) from None
        model = build_model()
        try:
            restored = restore(model, source)
            if local:
                with staging_dir(parent) as staging:
                    report = save_verified(model, staging, verify)
                    published = move_into_place(
                        staging, export_dir, overwrite=overwrite, versioned=versioned
                    )
            else:  # Verified on local disk, then uploaded and checked byte for byte.
                with tempfile.TemporaryDirectory() as scratch:
                    report = save_verified(model, scratch, verify)
                    published = upload.upload(
                        scratch, export_dir, overwrite=overwrite, versioned=versioned
                    )
        except (RestoreError, TargetTakenError, upload.UploadError) as error:
            raise ExportError(str(error)) from None
        except PermissionError as error:
            raise ExportError(f"cannot write in {parent}: {error.strerror}") from None
        exported = Exported(
            restored,
            dataclasses.replace(report, path=str(published)),
            activity_regularized=tuple(activity_regularized(model)),
        )
        if pack:
            archive = _archive_of(published)
            try:
                digest = pack_saved_model(published, archive, overwrite=overwrite)
            except PackError as error:
                raise ExportError(f"{published} was published, but not packed: {error}") from None
            exported = dataclasses.replace(exported, archive=str(archive), sha256=digest)
        return exported


def _archive_of(export_dir):
    """The package of an export: beside it, named after it (`export/1` -> `export/1.tar.gz`)."""
    return f"{export_dir}.tar.gz"


def save_verified(model, path, verify=None):
    """Saves `model` to the empty directory `path`, then scans and verifies what was written.

    `verify` as for `export_saved_model`.
    Returns:
      the verification `Report`.
    Raises:
      ExportError: writing failed, or the SavedModel holds an unsafe op or fails verification.
    """
    with contextlib.ExitStack() as stack:
        if verify is None:  # The fresh process starts now, to import while this one saves.
            verify = stack.enter_context(FreshProcessVerifier()).verify
        try:  # First: it refuses inputs and outputs the interface cannot serve.
            module = reusable_module(model)
        except (InputsError, OutputsError, HyperparametersError) as error:
            raise ExportError(str(error)) from None
        inputs, _ = synthetic_examples(4, seed=1)
        expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
        try:
            save_reusable(module, path)
            make_fingerprint_deterministic(path)
        except (OSError, tf.errors.OpError) as error:
            reason = getattr(error, "strerror", None) or str(error).strip().splitlines()[0]
            raise ExportError(f"writing the SavedModel to {path} failed: {reason}") from None
        findings = scan_saved_model(path)
        if findings:
            finding = findings[0]
            message = f"unsafe op in the SavedModel: {finding}"
            if finding.op not in REASONS:  # Unlisted, it may be as harmless as a matmul.
                message += "; if it only computes, add it to scan.MODEL_OPS"
            raise ExportError(message)
        try:
            return verify(path, expected)
        except VerificationError as error:
            raise ExportError(f"the written SavedModel failed verification: {error}") from None


def make_fingerprint_deterministic(path):
    """Derives `fingerprint.pb`'s UUID, which TensorFlow draws at random, from its hashes.

    Everything else TensorFlow writes is the same for the same model and
    weights, so two exports of one checkpoint are then byte-identical, and so
    are their packages.
    """
    fingerprint_file = Path(path) / "fingerprint.pb"
    fingerprint = fingerprint_pb2.FingerprintDef.FromString(fingerprint_file.read_bytes())
    hashes = (
        fingerprint.saved_model_checksum, fingerprint.graph_def_program_hash,
        fingerprint.signature_def_hash, fingerprint.saved_object_graph_hash,
        fingerprint.checkpoint_hash,
    )
    fingerprint.uuid = str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, hashes))))
    fingerprint_file.write_bytes(fingerprint.SerializeToString(deterministic=True))


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    try:
        exported = export_saved_model(
            args.weights or args.checkpoint_dir, args.export_dir,
            overwrite=args.overwrite, versioned=args.versioned, pack=args.pack,
        )
    except ExportError as error:
        sys.exit(f"ERROR: {error}")
    print(exported)


if __name__ == "__main__":
    flags.DEFINE_string(
        "checkpoint_dir", None,
        "Training checkpoint: a directory (its latest) or a checkpoint path.",
    )
    flags.DEFINE_string(
        "weights", None,
        "Instead of --checkpoint_dir: a file Keras saved (.keras, .weights.h5; .h5 for tf_keras).",
    )
    flags.DEFINE_string(
        "export_dir", None, "Directory to write the SavedModel to: a path or a URL (gs://...)."
    )
    flags.DEFINE_bool("overwrite", False, "Replace an existing export (and package).")
    flags.DEFINE_bool(
        "versioned", False,
        "Write to export_dir/<N>, N one more than the highest version there (TF Serving layout).",
    )
    flags.DEFINE_bool("pack", False, "Also write <export>.tar.gz and its .sha256 beside it.")
    flags.mark_flags_as_mutual_exclusive(["checkpoint_dir", "weights"], required=True)
    flags.mark_flags_as_required(["export_dir"])
    cli.run(main)
