"""Package an export for upload to Kaggle Models or tfhub.dev: a `.tar.gz` and its SHA-256.

The archive holds only the files a SavedModel consists of, at its root (no
top-level folder), as regular-file entries, each after an entry for its
directory (`variables/`): TF Hub's extractor (`hub.load` of a `.tar.gz` URL)
creates a directory only for a directory entry, and fails to write the files
of any other. Every entry is owned by 0 with a fixed mode and modification
time, in sorted order, with a gzip header free of names and times: packing
the same export twice gives the same bytes.

A signature (`export --sign_key`) is never packed: it lies beside the export
and its package (`export/1.sig`, `signing.py` says why), and covers the files
the package holds, so signing leaves the package's bytes and SHA-256 as they were.
"""

import gzip
import os
import re
import tarfile

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.filesystems import is_local, sha256, split

# The name the model doc's `asset-path` gives the package where it is hosted.
ARCHIVE_NAME = "{{ cookiecutter.model_name }}-{{ cookiecutter.model_version }}.tar.gz"

# The files Kaggle Models and tfhub.dev accept in a SavedModel archive.
ALLOWED = re.compile(
    r"saved_model\.pb|saved_model\.pbtxt|keras_metadata\.pb|fingerprint\.pb"
    r"|assets/[^/]+|assets\.extra/[^/]+|variables/variables\.[^/]+"
)
MTIME = 0
SIGNATURE = ".sig"  # signing.SUFFIX: model-signing's CLI writes `model.sig` into the model.


class PackError(Exception):
    """The export holds something that does not belong in an upload."""


def archive_members(export_dir):
    """Sorted relative paths of the export's files; refuses anything that is not allowed."""
    export_dir = os.fspath(export_dir)
    members = []
    for directory, subdirectories, files in tf.io.gfile.walk(export_dir):
        # Object stores list directories as `name/`; only local disks have links.
        relative = directory[len(export_dir):].strip("/")
        for name in [*subdirectories, *files]:
            if is_local(directory) and os.path.islink(os.path.join(directory, name)):
                link = _join(relative, name)
                raise PackError(f"{link} is a link; the archive takes regular files only")
        for name in [_join(relative, file) for file in files]:
            if name.endswith(SIGNATURE):
                raise PackError(f"{name} is a signature: it goes beside the export, not in it")
            if any(part.startswith(".") for part in name.split("/")) or not ALLOWED.fullmatch(name):
                raise PackError(f"{name} is not part of a SavedModel upload")
            members.append(name)
    if "saved_model.pb" not in members:
        raise PackError(f"{export_dir} has no saved_model.pb")
    return sorted(members)


def pack_saved_model(export_dir, archive, *, overwrite=False):
    """Writes `archive` (and `archive`.sha256) from `export_dir`; returns the hex digest.

    Both may be local paths or URLs (`filesystems.py`). An existing `archive` is
    replaced only with `overwrite`, and then in one rename (on object stores,
    one copy of one object, which appears whole).
    """
    export_dir, archive = os.fspath(export_dir), os.fspath(archive)
    if tf.io.gfile.exists(archive) and not overwrite:
        raise PackError(f"{archive} exists; pass --overwrite to replace it")
    members = archive_members(export_dir)
    parent, name = split(archive)
    partial = tf.io.gfile.join(parent, f".{name}.partial")
    with tf.io.gfile.GFile(partial, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=MTIME) as compressed:
            with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
                # Sorted, a directory comes before what it holds ("variables" < "variables/...").
                for entry in sorted({*members, *_directories(members)}):
                    _add(tar, export_dir, entry, is_file=entry in members)
    digest = sha256(partial)
    tf.io.gfile.rename(partial, archive, overwrite=True)
    with tf.io.gfile.GFile(f"{archive}.sha256", "w") as file:
        file.write(f"{digest}  {name}\n")
    return digest


def _directories(members):
    """Every directory that holds a member, its parents included.

    Taken from the files, not the export's listing: an empty directory (a
    SavedModel's `assets/`, when it has none) is left out, as object stores
    may not keep one, so the package is the same wherever the export lies.
    """
    parts = [member.split("/") for member in members]
    return {"/".join(path[:end]) for path in parts for end in range(1, len(path))}


def _add(tar, export_dir, entry, *, is_file):
    """Adds `entry` with the same owner, mode and time on every machine."""
    info = tarfile.TarInfo(entry)
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if not is_file:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        return
    path = tf.io.gfile.join(export_dir, entry)
    info.size = tf.io.gfile.stat(path).length
    info.mode = 0o644
    with tf.io.gfile.GFile(path, "rb") as content:
        tar.addfile(info, content)


def _join(directory, name):
    return f"{directory}/{name}" if directory else name
