"""Checkpoint and export locations: local paths, or URLs of TensorFlow's filesystems.

Every location a command is given goes through TensorFlow's filesystem layer
(`tf.io.gfile`, `tf.train.CheckpointManager`, `tf.saved_model`), never through
`pathlib`, which turns `gs://bucket/x` into the local directory `gs:/bucket/x`.
TensorFlow itself reads and writes local paths (`file://` too), `gs://` and
`ram://` (the memory of one process); `tensorflow-io`, once imported, adds
`s3://`, `hdfs://`, `az://` and `http://`. Moving an export into place
differs by kind: local disks (NFS included) rename atomically (`staging.py`),
other filesystems cannot be trusted to (`upload.py`).
"""

import hashlib
import importlib
import os

import tensorflow as tf

# Schemes TensorFlow does not register itself, and the package that does.
PROVIDERS = dict.fromkeys(["s3", "hdfs", "viewfs", "har", "az", "http", "https"], "tensorflow-io")


class UnknownSchemeError(ValueError):
    """TensorFlow has no filesystem for the URL's scheme in this process."""


def scheme(path):
    """`gs` for `gs://bucket/x`; empty for a local path."""
    path = os.fspath(path)
    return path.split("://", 1)[0] if "://" in path else ""


def is_local(path):
    return scheme(path) in ("", "file")


def location(path):
    """`path` as a string TensorFlow accepts, checked (see `check_scheme`).

    A local one keeps its form (`file://` is dropped: moving into place uses the
    operating system's calls there); a URL loses a trailing slash, so that
    `gs://b/x/` and `gs://b/x` name one export.
    """
    path = os.fspath(path)
    check_scheme(path)
    if scheme(path) == "file":
        return path.removeprefix("file://")
    return path if is_local(path) else path.rstrip("/")


def check_scheme(path):
    """Refuses, in one line, a URL whose scheme TensorFlow has no filesystem for."""
    name = scheme(path)
    if name in tf.io.gfile.get_registered_schemes():
        return
    provider = PROVIDERS.get(name)
    if provider:
        try:  # Importing tensorflow_io registers its filesystems with TensorFlow.
            importlib.import_module(provider.replace("-", "_"))
        except (ImportError, tf.errors.NotFoundError):  # Absent, or built for another TF.
            pass
        if name in tf.io.gfile.get_registered_schemes():
            return
        raise UnknownSchemeError(
            f"{name}:// is not a filesystem TensorFlow has here: pip install {provider} "
            "(a release built for this TensorFlow version)"
        )
    known = sorted(f"{known}://" for known in tf.io.gfile.get_registered_schemes() if known)
    raise UnknownSchemeError(
        f"{name}:// is not a filesystem TensorFlow has here; it has {', '.join(known)}"
    )


def split(path):
    """(parent, name) of a path or URL: `gs://b/x/1` -> (`gs://b/x`, `1`), `x` -> (`.`, `x`)."""
    path = os.fspath(path).rstrip("/")
    head, _, name = path.rpartition("/")
    if head.endswith(":/") or (not head and path.startswith("/")):  # `ram://x`, `/x`: a root.
        head += "/"
    return head or ".", name


def sha256(path, chunk=1 << 24):
    """The hex SHA-256 of a file, read through TensorFlow (any filesystem) in 16 MiB pieces."""
    digest = hashlib.sha256()
    with tf.io.gfile.GFile(path, "rb") as file:
        while data := file.read(chunk):
            digest.update(data)
    return digest.hexdigest()
