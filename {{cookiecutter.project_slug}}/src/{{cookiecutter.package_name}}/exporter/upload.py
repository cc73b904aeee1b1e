"""Upload a verified SavedModel where rename is not atomic: `gs://`, `s3://`, `hdfs://`, `ram://`.

Object stores have no rename (TensorFlow's `gs://` renames a directory by
copying each object, then deleting it), and no lock, so `staging.py` cannot be
used there. The export is saved and verified on local disk first
(`export_lib.py`), then uploaded straight into its place, in an order a reader
can trust:

- `saved_model.pb` goes last. Until it is there the directory is no SavedModel:
  `tf.saved_model.load` and `hub.load` fail ("SavedModel file does not exist")
  and TF Serving fails to load that version and retries later, keeping the
  version it serves. TF Serving loads a version as soon as `saved_model.pb` is
  there, variables or not (tensorflow/serving#1086), and an object appears
  whole once written, so everything else goes up first.
- Every file is read back and its SHA-256 compared with the verified file's,
  `saved_model.pb` included: success is reported only for a place that holds
  the verified bytes.
- An export claims its target with a small object beside it,
  `.claim-<name>-<random>`, then lists the claims; one that sees another's
  withdraws (to the next version number with `versioned`, else it is refused).
  Of two exports, both may withdraw, never both go on, where listings show
  every finished write (GCS, S3 since 2020, HDFS, `ram://`).
- A killed upload leaves its claim and a directory without `saved_model.pb`,
  which no reader loads. A versioned export never reuses a claimed number; a
  plain target stays refused until the claim is deleted (the error names it).
- `overwrite` deletes the old `saved_model.pb` first, then the rest: for the
  seconds of the upload readers find no SavedModel there, never a mix of two,
  and a failed upload leaves none. Everything that can refuse an export
  (restore, scan, verification) has run before. Use `versioned` to keep the
  previous version serving.
"""

import contextlib
import os
import random
import socket
import time
import uuid

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.filesystems import sha256, split
from {{ cookiecutter.package_name }}.exporter.staging import TargetTakenError

CLAIM, LAST = ".claim-", "saved_model.pb"


class UploadError(Exception):
    """The upload failed or does not hold the verified bytes; nothing was moved into place."""


def upload(local_dir, export_dir, *, overwrite=False, versioned=False):
    """Copies the SavedModel in `local_dir` to `export_dir` (or a new `export_dir/<N>`).

    Returns:
      the path it was uploaded to.
    Raises:
      TargetTakenError: `export_dir` holds an export (and not `overwrite`) or is claimed.
      UploadError: writing failed, or what was written differs; nothing was moved into place
        (and with `overwrite`, the old export is gone).
    """
    try:
        with _claimed(export_dir, versioned) as target:
            taken = is_taken(target)  # Never a version: `_claimed` takes a free one.
            if taken and not overwrite:
                raise TargetTakenError(f"{target} is not empty; pass --overwrite to replace it")
            if taken:
                remove(target)
            try:
                for name in sorted(_files(local_dir), key=lambda name: name == LAST):
                    _copy_checked(os.path.join(local_dir, name), tf.io.gfile.join(target, name))
            except BaseException:
                remove(target)  # It has no saved_model.pb yet, unless that differed.
                raise
    except tf.errors.OpError as error:  # Network, permissions, quota: TensorFlow's errors.
        reason = first_line(error, limit=None)
        raise UploadError(f"uploading to {export_dir} failed: {reason}") from None
    return target


def is_taken(path):
    """Whether `path` holds anything (an empty directory may be written into)."""
    if not tf.io.gfile.exists(path):
        return False
    return not tf.io.gfile.isdir(path) or bool(tf.io.gfile.listdir(path))


def remove(export_dir):
    """Deletes an export so that no reader sees part of it as one: `saved_model.pb` first."""
    for name in (LAST, "saved_model.pbtxt"):
        if tf.io.gfile.exists(tf.io.gfile.join(export_dir, name)):
            tf.io.gfile.remove(tf.io.gfile.join(export_dir, name))
    if tf.io.gfile.exists(export_dir):
        tf.io.gfile.rmtree(export_dir)


def next_version(base):
    """One more than the highest version in `base`, finished or claimed."""
    numbers = [0]
    for entry in tf.io.gfile.listdir(base):
        entry = entry.rstrip("/")  # Object stores list "directories" as `name/`.
        if entry.startswith(CLAIM):
            entry = entry.removeprefix(CLAIM).split("-")[0]
        if entry.isdigit():
            numbers.append(int(entry))
    return max(numbers) + 1


@contextlib.contextmanager
def _claimed(export_dir, versioned):
    """Claims `export_dir`, or with `versioned` a new `export_dir/<N>`; yields the target."""
    parent, name = (export_dir, None) if versioned else split(export_dir)
    tf.io.gfile.makedirs(parent)
    while True:
        if versioned:
            name = str(next_version(parent))
        target = tf.io.gfile.join(parent, name)
        claim = tf.io.gfile.join(parent, f"{CLAIM}{name}-{uuid.uuid4().hex}")
        with tf.io.gfile.GFile(claim, "w") as file:
            file.write(f"{socket.gethostname()} pid {os.getpid()} at {time.ctime()}\n")
        others = [
            entry for entry in tf.io.gfile.listdir(parent)
            if entry.startswith(f"{CLAIM}{name}-") and entry != split(claim)[1]
        ]
        # A version another export finished (and unclaimed) since we listed is taken too.
        if not others and not (versioned and tf.io.gfile.exists(target)):
            break
        tf.io.gfile.remove(claim)
        if not versioned:
            raise TargetTakenError(
                f"another export is writing {target} (claim {others[0]}); "
                "if none is, delete that file"
            )
        time.sleep(random.random())  # So that two which withdrew do not meet again.
    try:
        yield target
    finally:
        tf.io.gfile.remove(claim)


def _files(local_dir):
    """Relative paths of the files under the local directory `local_dir`."""
    for directory, _, names in os.walk(local_dir):
        for name in names:
            yield os.path.relpath(os.path.join(directory, name), local_dir)


def _copy_checked(source, target):
    """Copies `source` to `target`, then reads `target` back and compares it."""
    tf.io.gfile.makedirs(split(target)[0])
    tf.io.gfile.copy(source, target, overwrite=True)
    if sha256(target) != sha256(source):
        raise UploadError(f"{target} differs from the verified file after writing")
