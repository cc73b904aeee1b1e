"""Export the trained model as a reusable TF2 SavedModel.

    python -m {{ cookiecutter.package_name }}.export --checkpoint_dir DIR --export_dir DIR [--pack]
    python -m {{ cookiecutter.package_name }}.export --weights model.keras --export_dir DIR

`export_saved_model` restores the trained weights strictly (`restore.py`), saves the model through
`ReusableModule` without any optimizer state, scans the graph for unsafe ops,
verifies the result in a fresh Python process, and only then moves it to
`export_dir`. A failed or killed export leaves any previous export untouched
and nothing half-written in its place.
"""

import dataclasses
import os
from pathlib import Path
import shutil
import sys
import tempfile

from absl import app, flags
import tensorflow as tf

from {{ cookiecutter.package_name }}.data import synthetic_examples
from {{ cookiecutter.package_name }}.model import (
    HYPERPARAMETERS,
    INPUT_SIGNATURE,
    OUTPUT_KEY,
    build_model,
)
from {{ cookiecutter.package_name }}.pack import ARCHIVE_NAME, pack_saved_model
from {{ cookiecutter.package_name }}.restore import Restored, RestoreError, restore
from {{ cookiecutter.package_name }}.reusable import ReusableModule
from {{ cookiecutter.package_name }}.scan import scan_saved_model
from {{ cookiecutter.package_name }}.verify import (
    Expectations,
    FreshProcessVerifier,
    Report,
    VerificationError,
)

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "checkpoint_dir", None, "Training checkpoint: a directory (its latest) or a checkpoint path."
)
flags.DEFINE_string(
    "weights", None,
    "Instead of --checkpoint_dir: a file Keras saved (.keras, .weights.h5; .h5 for tf_keras).",
)
flags.DEFINE_string("export_dir", None, "Directory to write the SavedModel to.")
flags.DEFINE_bool("overwrite", False, "Replace an existing export in export_dir.")
flags.DEFINE_bool(
    "versioned", False,
    "Write to export_dir/<N>, N one more than the highest version there (TF Serving layout).",
)
flags.DEFINE_bool("pack", False, f"Also write {ARCHIVE_NAME} and its .sha256 beside the export.")

# Prefixes of the directories an export writes beside the target: the new
# SavedModel before it is verified, and the previous one while it is replaced.
STAGING, PREVIOUS = ".staging-", ".previous-"


class ExportError(Exception):
    """The export was refused; nothing was published."""


@dataclasses.dataclass(frozen=True)
class Exported:
    """The outcome of one export, printed by the command."""

    restored: Restored
    report: Report
    archive: str = ""
    sha256: str = ""

    def __str__(self):
        lines = [str(self.restored), str(self.report)]
        if self.archive:
            lines.append(f"package:               {self.archive} (sha256 {self.sha256})")
        return "\n".join(lines)


def refuse_python_layers(model):
    """Keras `Lambda` layers hold Python bytecode: a model to share must not depend on it."""
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "Lambda":
            raise ExportError(f"layer {layer.name!r} is a Lambda layer; write a Layer subclass")
        refuse_python_layers(layer)


def export_saved_model(source, export_dir, *, overwrite=False, versioned=False, pack=False):
    """Restores `source` into `build_model()`, saves, scans, verifies and publishes.

    Args:
      source: a checkpoint directory or path, or a Keras weights file (`restore.py`).
      export_dir: where the SavedModel goes (with `versioned`, a new `<N>/` in it).
      overwrite: replace an existing export at `export_dir`.
      versioned: write `export_dir/<N>`, N one more than the highest there.
      pack: also write the `.tar.gz` upload package beside the export.

    Returns:
      what was `Exported`.
    Raises:
      ExportError: nothing was published.
    """
    export_dir = Path(export_dir)
    if versioned:
        export_dir = export_dir / str(_next_version(export_dir))
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(export_dir)
    if export_dir.exists() and any(export_dir.iterdir()) and not overwrite:
        raise ExportError(f"{export_dir} is not empty; pass --overwrite to replace it")

    model = build_model()
    refuse_python_layers(model)
    try:
        restored = restore(model, source)
    except RestoreError as error:
        raise ExportError(str(error)) from None
    # Write beside the target, so publishing is a rename within one file system.
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=export_dir.parent))
    try:
        report, _ = save_verified(model, staging)
        _publish(staging, export_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    exported = Exported(restored, dataclasses.replace(report, path=str(export_dir)))
    if pack:
        archive = export_dir.parent / ARCHIVE_NAME
        exported = dataclasses.replace(
            exported, archive=str(archive), sha256=pack_saved_model(export_dir, archive)
        )
    return exported


def save_verified(model, path, on_stage=lambda stage: None):
    """Saves `model` to the empty directory `path`, then scans and verifies what was written.

    `on_stage(name)` is called as each stage ends: "trace", "expectations",
    "save", "scan", "verify" (`bench.py` times them).

    Returns:
      (the verification `Report`, the `Expectations` it checked).
    Raises:
      ExportError: the SavedModel holds an unsafe op or fails verification.
    """
    with FreshProcessVerifier() as verifier:  # Starts now, verifies at the end.
        module = ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY, HYPERPARAMETERS)
        on_stage("trace")
        inputs, _ = synthetic_examples(4, seed=1)
        expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
        on_stage("expectations")
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
        on_stage("save")
        findings = scan_saved_model(path)
        if findings:
            raise ExportError(f"unsafe op in the SavedModel: {findings[0]}")
        on_stage("scan")
        try:
            report = verifier.verify(path, expected)
        except VerificationError as error:
            raise ExportError(f"the written SavedModel failed verification: {error}") from None
        on_stage("verify")
    return report, expected


def _next_version(base):
    versions = [int(p.name) for p in base.glob("*") if p.name.isdigit()]
    return max(versions, default=0) + 1


def _remove_abandoned_staging(export_dir):
    """Cleans up after exports that were killed (their process is gone).

    A kill between the two renames of `_publish` leaves the previous export in
    a `.previous-` directory and none at `export_dir`: it is moved back.
    """
    for path in sorted(export_dir.parent.glob(".*-*-*")):
        prefix, pid = path.name.split("-")[:2]
        if f"{prefix}-" not in (STAGING, PREVIOUS) or not pid.isdigit() or _alive(int(pid)):
            continue
        kept = path / export_dir.name
        if f"{prefix}-" == PREVIOUS and kept.is_dir() and not export_dir.exists():
            os.rename(kept, export_dir)
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # Another user's live process.
    return True


def _publish(staging, export_dir):
    """Moves `staging` to `export_dir`; a previous export is replaced only at the last moment."""
    if not export_dir.exists():
        os.rename(staging, export_dir)
        return
    previous = Path(tempfile.mkdtemp(prefix=f"{PREVIOUS}{os.getpid()}-", dir=export_dir.parent))
    os.rename(export_dir, previous / export_dir.name)
    try:
        os.rename(staging, export_dir)
    except OSError:
        os.rename(previous / export_dir.name, export_dir)
        raise
    finally:
        shutil.rmtree(previous, ignore_errors=True)


def main(argv):
    del argv  # Unused.
    try:
        exported = export_saved_model(
            FLAGS.weights or FLAGS.checkpoint_dir, FLAGS.export_dir,
            overwrite=FLAGS.overwrite, versioned=FLAGS.versioned, pack=FLAGS.pack,
        )
    except ExportError as error:
        sys.exit(f"ERROR: {error}")
    print(exported)


if __name__ == "__main__":
    # Required only here, so that importing this module defines no required flags.
    flags.mark_flags_as_mutual_exclusive(["checkpoint_dir", "weights"], required=True)
    flags.mark_flags_as_required(["export_dir"])
    app.run(main)
