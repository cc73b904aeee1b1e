"""What export writes beside the directory it moved into place, once every check passed.

The package (`export/1.tar.gz`, `pack.py`), the TFLite variation
(`export/1.tflite`, `tflite.py`) and the signature (`export/1.sig`,
`signing.py`). Each refusal says the export itself is in place: only what is
beside it is missing.
"""

import dataclasses

from {{ cookiecutter.package_name }}.exporter.compute_dtype import (
    half_precision_layers,
)
from {{ cookiecutter.package_name }}.exporter.errors import ExportError
from {{ cookiecutter.package_name }}.exporter.filesystems import is_local
from {{ cookiecutter.package_name }}.exporter.keyless import Sigstore, sigstore_signer
from {{ cookiecutter.package_name }}.exporter.pack import PackError, pack_saved_model
from {{ cookiecutter.package_name }}.exporter.signing import (
    SigningError,
    key_signer,
    sign_export,
)
from {{ cookiecutter.package_name }}.exporter.tflite import (
    TFLiteError,
    tflite_path,
    write_tflite,
)


def signer_of(sign_with, export_dir):
    """The signer of `sign_with` (a `SigningKey`, a key's path, or `Sigstore()`), or the refusal."""
    if not is_local(export_dir):
        raise ExportError(
            f"signing reads local files: export to this machine, sign, then copy {export_dir}"
        )
    try:
        if isinstance(sign_with, Sigstore):
            return sigstore_signer()
        return key_signer(sign_with)
    except SigningError as error:
        raise ExportError(str(error)) from None


def signed(exported, signer):
    """`exported` with its signature, written beside it after every check passed."""
    placed = exported.report.path
    try:
        written = sign_export(placed, signer)
    except SigningError as error:
        raise ExportError(f"{placed} was exported, but not signed: {error}") from None
    return dataclasses.replace(exported, signature=str(written))


def packed(exported, overwrite):
    """`exported` with its package, written beside the directory it was moved into."""
    placed = exported.report.path
    archive = archive_of(placed)
    try:
        digest = pack_saved_model(placed, archive, overwrite=overwrite)
    except PackError as error:
        raise ExportError(f"{placed} was exported, but not packed: {error}") from None
    return dataclasses.replace(exported, archive=str(archive), sha256=digest)


def with_tflite(exported, overwrite, *, select_ops):
    """`exported` with its TFLite variation, written beside the directory it was moved into."""
    placed = exported.report.path
    try:
        written = write_tflite(
            placed, tflite_path(placed), select_ops=select_ops, overwrite=overwrite
        )
    except TFLiteError as error:
        hint = ""
        if half_precision_layers(exported.model):  # TFLite's builtins lack 16-bit kernels.
            hint = "; its layers compute in 16 bits: --compute_dtype=float32 exports it in float32"
        raise ExportError(
            f"{placed} was exported, but has no TFLite variation: {error}{hint}"
        ) from None
    return dataclasses.replace(exported, tflite=written)


def archive_of(export_dir):
    """The package of an export: beside it, named after it (`export/1` -> `export/1.tar.gz`)."""
    return f"{export_dir}.tar.gz"
