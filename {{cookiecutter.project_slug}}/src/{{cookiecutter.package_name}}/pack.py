"""Package an export for upload to Kaggle Models or tfhub.dev: a `.tar.gz` and its SHA-256.

The archive holds only the files a SavedModel consists of, at its root (no
top-level folder), as regular-file entries owned by 0 with a fixed
modification time, in sorted order, with a gzip header free of names and
times: packing the same export twice gives the same bytes.
"""

import gzip
import hashlib
import os
from pathlib import Path
import re
import tarfile

# The name the model doc's `asset-path` gives the package where it is hosted.
ARCHIVE_NAME = "{{ cookiecutter.model_name }}-{{ cookiecutter.model_version }}.tar.gz"

# The files Kaggle Models and tfhub.dev accept in a SavedModel archive.
ALLOWED = re.compile(
    r"saved_model\.pb|saved_model\.pbtxt|keras_metadata\.pb|fingerprint\.pb"
    r"|assets/[^/]+|assets\.extra/[^/]+|variables/variables\.[^/]+"
)
MTIME = 0


class PackError(Exception):
    """The export holds something that does not belong in an upload."""


def archive_members(export_dir):
    """Sorted relative paths of the export's files; refuses anything that is not allowed."""
    export_dir = Path(export_dir)
    members = []
    for path in sorted(export_dir.rglob("*")):
        name = path.relative_to(export_dir).as_posix()
        if path.is_symlink():
            raise PackError(f"{name} is a link; the archive takes regular files only")
        if path.is_dir():
            continue
        if any(part.startswith(".") for part in Path(name).parts) or not ALLOWED.fullmatch(name):
            raise PackError(f"{name} is not part of a SavedModel upload")
        members.append(name)
    if "saved_model.pb" not in members:
        raise PackError(f"{export_dir} has no saved_model.pb")
    return members


def pack_saved_model(export_dir, archive, *, overwrite=False):
    """Writes `archive` (and `archive`.sha256) from `export_dir`; returns the hex digest.

    An existing `archive` is replaced only with `overwrite`, and then in one rename.
    """
    export_dir, archive = Path(export_dir), Path(archive)
    if archive.exists() and not overwrite:
        raise PackError(f"{archive} exists; pass --overwrite to replace it")
    members = archive_members(export_dir)
    partial = archive.with_name(f".{archive.name}.partial")
    with open(partial, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=MTIME) as compressed:
            with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name in members:
                    path = export_dir / name
                    info = tarfile.TarInfo(name)
                    info.size = path.stat().st_size
                    info.mtime = MTIME
                    info.mode = 0o644
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(path, "rb") as content:
                        tar.addfile(info, content)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    os.replace(partial, archive)
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n")
    return digest
