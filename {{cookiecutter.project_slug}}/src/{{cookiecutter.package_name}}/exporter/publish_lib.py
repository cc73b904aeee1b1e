"""Publishing on Kaggle Models as a library: `prepare`, `upload`, `check`.

`prepare` checks offline everything Kaggle would otherwise find wrong after an
upload, or never: the metadata (`kaggle_metadata.py`), the handle, that the
export is file for file the package `export --pack` wrote (`manifest.py`), and
that it passes the export's own scan and verification. `upload` calls
`kagglehub.model_upload` with a `Plan` only `prepare` makes; `check` downloads
a published version with `kagglehub.model_download` and compares it, and, given
the publisher's public key, verifies it against the export's signature
(`export --sign_key`, `signing.py`).

With `sigstore`, kagglehub also signs the upload with Sigstore, in a copy of
the export (`kaggle_signing.py` says why). A `.tflite` beside the export
(`export --tflite`) is published too, as the TFLite variation: an instance of
its own, checked as its own (`tflite_variation.py`).
"""

import dataclasses
from pathlib import Path

import kagglehub
from kagglehub.handle import parse_model_handle

from {{ cookiecutter.package_name }}.exporter import kaggle_metadata
from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
from {{ cookiecutter.package_name }}.exporter.filesystems import is_local, location, sha256
from {{ cookiecutter.package_name }}.exporter.fresh_process import verify_in_fresh_process
from {{ cookiecutter.package_name }}.exporter.kaggle_signing import (
    KAGGLE_SIGNATURE,
    SignatureRefused,
    uploaded_directory,
    verified_download,
)
from {{ cookiecutter.package_name }}.exporter.manifest import (
    ManifestError,
    verified_manifest,
)
from {{ cookiecutter.package_name }}.exporter.op_allowlist import scan_saved_model
from {{ cookiecutter.package_name }}.exporter.outputs import differing_outputs
from {{ cookiecutter.package_name }}.exporter.restore import RestoreError, restore
from {{ cookiecutter.package_name }}.exporter.tflite import tflite_path
from {{ cookiecutter.package_name }}.exporter.tflite_variation import (
    VariationError,
    compare_variation,
    prepare_variation,
    variation_handle,
)
from {{ cookiecutter.package_name }}.exporter.upload_plan import Plan
from {{ cookiecutter.package_name }}.exporter.verify import VerificationError
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY, build_model


class PublishError(Exception):
    """A check failed, or Kaggle could not be reached; nothing was uploaded."""


def local_export(saved_model_dir):
    """The export as a local path: kagglehub uploads, and downloads to, local files only."""
    if not is_local(saved_model_dir):
        raise PublishError(
            f"{saved_model_dir} is not on this machine: kagglehub uploads local files; "
            "copy the export here first (for gs://, gcloud storage cp -r)"
        )
    return Path(location(saved_model_dir))


def prepare(saved_model_dir, source, *, handle=kaggle_metadata.HANDLE, metadata_dir=None,
            doc=kaggle_metadata.DOC, license_id=kaggle_metadata.LICENSE,
            verify=verify_in_fresh_process, sigstore=False):
    """The dry run: writes the metadata, checks everything offline; returns the `Plan`.

    Args:
      saved_model_dir: an export, with the package `export --pack` wrote beside it.
      source: the checkpoint (or weights file) it was exported from, to verify it against.
      verify: `verify_in_fresh_process`, as export verifies; or `verify_saved_model`, the same
        checks in this process (the tests: a fresh process costs seconds).
    Raises:
      PublishError: naming the first failed check.
    """
    saved_model_dir = local_export(saved_model_dir)
    metadata_dir = Path(metadata_dir or f"{saved_model_dir}.kaggle")
    try:
        documents = kaggle_metadata.build(doc, license_id, handle)
    except (kaggle_metadata.MetadataError, OSError) as error:
        raise PublishError(first_line(error)) from None
    kaggle_metadata.write(documents, metadata_dir)
    # The handle first: a malformed one also makes malformed slugs in the metadata.
    problems = [kaggle_metadata.handle_problem(handle), *kaggle_metadata.problems(metadata_dir)]
    if any(problems):
        raise PublishError(next(problem for problem in problems if problem))

    manifest = _manifest(saved_model_dir)
    findings = scan_saved_model(saved_model_dir)
    if findings:
        raise PublishError(f"unsafe op in the SavedModel: {findings[0]}")
    model = build_model()
    try:
        restore(model, source)
        inputs = example_inputs(4, seed=1)  # What export verifies with.
        verify(saved_model_dir, Expectations.of_model(model, inputs, OUTPUT_KEY))
    except (RestoreError, VerificationError) as error:
        raise PublishError(f"{saved_model_dir} is not the model of {source}: {error}") from None

    notes = ()
    if "Replace this text" in documents[kaggle_metadata.MODEL_FILE]["description"]:
        # Not refused: every fresh project says so, and its dry run must pass.
        notes = ("the model doc still says 'Replace this text': describe your data first",)
    plan = Plan(
        handle=handle, directory=saved_model_dir,
        license_name=documents[kaggle_metadata.INSTANCE_FILE]["licenseName"],
        version_notes=version_notes(doc), metadata_dir=metadata_dir,
        manifest=manifest, notes=notes, sigstore=sigstore,
    )
    return dataclasses.replace(plan, variation=_variation(plan, doc, license_id))


def _variation(plan, doc, license_id):
    """The `Plan` of the TFLite variation beside the export, checked; None if it has none."""
    try:
        variation = prepare_variation(
            plan.directory, plan.metadata_dir / "tflite", handle=plan.handle, doc=doc,
            license_id=license_id, version_notes=plan.version_notes,
        )
    except VariationError as error:
        raise PublishError(f"its TFLite variation: {error}") from None
    return variation and dataclasses.replace(variation, sigstore=plan.sigstore)


def version_notes(doc):
    """The version's notes: the first item of its entry in the doc's changelog, on one line."""
    _, _, sections = kaggle_metadata.read_doc(doc)
    entry = sections.get("Changelog", "").partition(f"### Version {kaggle_metadata.VERSION}")[2]
    first_item = entry.split("\n### ")[0].strip().removeprefix("- ").split("\n- ")[0]
    return " ".join(first_item.split())


def _manifest(saved_model_dir):
    """`verified_manifest` of the export; its refusal is the publish's."""
    try:
        return verified_manifest(saved_model_dir)
    except ManifestError as error:
        raise PublishError(str(error)) from None


def upload(plan):
    """Uploads what `prepare` checked, then its TFLite variation; returns their URLs."""
    return [_upload(instance) for instance in plan.instances()]


def _upload(plan):
    try:
        with uploaded_directory(plan.directory, sigstore=plan.sigstore) as directory:
            kagglehub.model_upload(
                plan.handle, str(directory), license_name=plan.license_name,
                version_notes=plan.version_notes, sigstore=plan.sigstore,
            )
    except Exception as error:  # Whatever the network or Kaggle raise, in one line.
        raise PublishError(f"upload to Kaggle failed: {first_line(error)}") from None
    return parse_model_handle(plan.handle).to_url()


def check(handle, saved_model_dir, *, public_key=None):
    """Downloads published `handle` (with its version) and compares it with the export.

    With `public_key`, the download is first verified against the export's signature.
    With a `.tflite` beside the export, its variation's version is downloaded and compared too.
    """
    saved_model_dir = local_export(saved_model_dir)
    summary = compare(_download(handle), saved_model_dir, public_key=public_key)
    if not Path(tflite_path(saved_model_dir)).exists():
        return summary
    unversioned, _, version = handle.rpartition("/")
    downloaded = _download(f"{variation_handle(unversioned)}/{version}")
    try:
        return f"{summary}\n{compare_variation(Path(downloaded), saved_model_dir)}"
    except VariationError as error:
        raise PublishError(f"its TFLite variation: {error}") from None


def _download(handle):
    try:
        return kagglehub.model_download(handle, force_download=True)
    except Exception as error:  # Whatever the network or Kaggle raise, in one line.
        raise PublishError(f"download of {handle} failed: {first_line(error)}") from None


def compare(downloaded, saved_model_dir, *, public_key=None):
    """Checks that `downloaded` has the export's files and computes its outputs; a summary."""
    import tensorflow_hub as hub  # Only here: the dry run needs no TensorFlow Hub.

    try:
        verified = verified_download(downloaded, saved_model_dir, public_key) if public_key else ""
    except SignatureRefused as error:
        raise PublishError(str(error)) from None
    local = _manifest(saved_model_dir)
    theirs = {
        path.relative_to(downloaded).as_posix(): sha256(path)
        for path in sorted(Path(downloaded).rglob("*"))
        if path.is_file() and path.relative_to(downloaded).as_posix() != KAGGLE_SIGNATURE
    }
    if theirs != local:
        name = sorted(name for name in local.keys() | theirs.keys()
                      if local.get(name) != theirs.get(name))[0]
        raise PublishError(f"{name} of the download differs from the export's (SHA-256)")
    inputs = example_inputs(4, seed=1)
    differing = differing_outputs(
        hub.load(str(downloaded))(inputs), hub.load(str(saved_model_dir))(inputs), OUTPUT_KEY
    )
    if differing:
        raise PublishError(f"the download computes other {', '.join(differing)}")
    files = f"{len(theirs)} files with the export's SHA-256s"
    return f"{downloaded}: {files}, the same outputs{verified}"

