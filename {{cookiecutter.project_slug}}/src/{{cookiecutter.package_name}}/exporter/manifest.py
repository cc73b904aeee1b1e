"""An export checked file for file against its package: what `publish` uploads and compares.

`verified_manifest` accepts an export only if its package (`export --pack`)
matches its `.sha256`, and the export holds exactly the package's files, each
with its member's SHA-256: what is uploaded is what was packed and verified.
"""

import hashlib
from pathlib import Path
import tarfile

from {{ cookiecutter.package_name }}.exporter.filesystems import sha256
from {{ cookiecutter.package_name }}.exporter.pack import PackError, archive_members


class ManifestError(Exception):
    """The export is not, file for file, the package written beside it."""


def verified_manifest(saved_model_dir):
    """{relative path: SHA-256} of the export, checked file for file against its package."""
    package = Path(f"{saved_model_dir}.tar.gz")
    recorded = Path(f"{package}.sha256")
    if not package.is_file() or not recorded.is_file():
        raise ManifestError(f"no package {package} (and .sha256): export with --pack")
    if recorded.read_text().split()[:1] != [sha256(package)]:
        raise ManifestError(f"{package} does not match its {recorded.name}")
    try:
        names = archive_members(saved_model_dir)
    except PackError as error:
        raise ManifestError(str(error)) from None
    with tarfile.open(package) as tar:
        packed = {
            member.name: hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            for member in tar.getmembers() if member.isfile()
        }
    manifest = {name: sha256(Path(saved_model_dir) / name) for name in names}
    missing, extra = sorted(packed.keys() - manifest.keys()), sorted(manifest.keys() - packed)
    if missing:
        raise ManifestError(f"{missing[0]} is missing from {saved_model_dir} (in {package.name})")
    if extra:
        raise ManifestError(f"{extra[0]} in {saved_model_dir} is not in {package.name}: extra file")
    tampered = [name for name in names if manifest[name] != packed[name]]
    if tampered:
        raise ManifestError(f"{tampered[0]} differs from {package.name}'s (SHA-256): tampered")
    return manifest
