"""What `publish` uploads to Kaggle Models once every offline check passed: a `Plan`.

The dry run prints it; `--upload` sends exactly it, with kagglehub.
"""

import dataclasses
from pathlib import Path

from {{ cookiecutter.package_name }}.exporter import kaggle_metadata

CHECKS = (
    "metadata fields and types, as the kaggle CLI reads them",
    "no placeholder left (INSERT_..._HERE, unknown ${...}, template tags)",
    "license in Kaggle's list",
    "owner, model and variation slugs in Kaggle's format",
    "handle owner/model/tensorFlow2/variation, without a version",
    "package SHA-256 equal to its .sha256",
    "files: only SavedModel files (pack.py's rules), each in the package, none missing",
    "each file's SHA-256 equal to its package member's",
    "op allowlist scan (exporter/op_allowlist.py)",
    "outputs and reusable interface verified against the model in a fresh process",
)


@dataclasses.dataclass(frozen=True)
class Plan:
    """An upload whose every offline check passed: what `upload` sends."""

    handle: str
    directory: Path  # What is uploaded: the export, or the directory holding its .tflite.
    license_name: str
    version_notes: str
    metadata_dir: Path
    manifest: dict  # Relative path -> SHA-256 of every file uploaded.
    notes: tuple = ()
    sigstore: bool = False  # kagglehub signs the upload with Sigstore.
    checks: tuple = CHECKS
    variation: object = None  # The TFLite variation's own `Plan` (tflite_variation.py), if any.

    def instances(self):
        """The Kaggle instances uploaded: this one, then its TFLite variation's, if any."""
        return [self, *([self.variation] if self.variation else [])]

    def call(self):
        """The exact call `upload` makes."""
        sigstore = ", sigstore=True" if self.sigstore else ""
        directory = "a hard-linked copy of " if self.sigstore else ""
        return (
            f"kagglehub.model_upload({self.handle!r}, {directory}"
            f"{str(self.directory.resolve())!r}, license_name={self.license_name!r}, "
            f"version_notes={self.version_notes!r}{sigstore})"
        )

    def __str__(self):
        files = "\n".join(f"  {digest}  {name}" for name, digest in self.manifest.items())
        return "\n".join([
            f"handle:    {self.handle} (Kaggle numbers its versions: the first upload is 1)",
            f"license:   {self.license_name}",
            f"metadata:  {self.metadata_dir / kaggle_metadata.MODEL_FILE}",
            f"           {self.metadata_dir / kaggle_metadata.INSTANCE_FILE}",
            f"files ({len(self.manifest)}, SHA-256, each checked):",
            files,
            "checks:    " + "\n           ".join(self.checks),
            *([f"sigstore:  kagglehub signs these {len(self.manifest)} files with Sigstore, as "
               f"Kaggle's identity for {self.handle.split('/')[0]}/{self.handle.split('/')[1]}, "
               "into .kaggle/signing.json of the upload (not of the export)"]
              if self.sigstore else []),
            *(f"note:      {note}" for note in self.notes),
            *([f"\nits TFLite variation, an instance of its own:\n{self.variation}"]
              if self.variation else []),
        ])
