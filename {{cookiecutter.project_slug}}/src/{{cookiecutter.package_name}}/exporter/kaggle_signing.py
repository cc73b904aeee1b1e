"""Signatures on Kaggle: the directory a Sigstore upload signs, and a download's verification.

`kagglehub.model_upload(..., sigstore=True)` signs what it uploads with
Sigstore, as Kaggle's identity for the model, and writes that signature into
the uploaded directory (`.kaggle/signing.json`). Given the export, it would
add a file to what `export --pack` packed and `--sign_key` signed, so it
uploads a hard-linked copy instead. A download may carry that file back: it is
Kaggle's, not the publisher's, and is left out of the comparison.
"""

import contextlib
import os
from pathlib import Path
import shutil
import tempfile

# Kaggle's Sigstore signature of an upload made with `sigstore`, in what it serves back.
KAGGLE_SIGNATURE = ".kaggle/signing.json"


class SignatureRefused(Exception):
    """The download is not what the export's signature vouches for; one line."""


@contextlib.contextmanager
def uploaded_directory(saved_model_dir, *, sigstore):
    """The directory kagglehub uploads: the export, or with Sigstore, a copy it may write in."""
    if not sigstore:
        yield saved_model_dir
        return
    with tempfile.TemporaryDirectory(dir=Path(saved_model_dir).parent) as scratch:
        copy = Path(scratch) / Path(saved_model_dir).name
        # Links, not copies: no second set of weights on disk; kagglehub only adds a file.
        shutil.copytree(saved_model_dir, copy, copy_function=os.link)
        yield copy


def verified_download(downloaded, saved_model_dir, public_key):
    """Verifies `downloaded` against the export's own signature, before it is loaded."""
    # Only here: model-signing is an optional extra (`sign`).
    from {{ cookiecutter.package_name }}.exporter.signing import (
        SigningError,
        signature_path,
        verify_export,
    )

    ignored = [KAGGLE_SIGNATURE] if (Path(downloaded) / KAGGLE_SIGNATURE).is_file() else []
    signature = signature_path(saved_model_dir)
    try:
        verify_export(downloaded, public_key, signature, ignored=ignored)
    except SigningError as error:
        raise SignatureRefused(f"the download is refused: {error}") from None
    return f", signature {signature.name} verified with {public_key}"
