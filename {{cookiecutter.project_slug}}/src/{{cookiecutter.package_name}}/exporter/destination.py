"""Where an export goes: local disks and object stores behind one interface, chosen once.

`destination(export_dir, ...)` chooses by `filesystems.is_local`:

- `LocalDisk` (local paths, NFS): the SavedModel is staged in a directory
  beside the target, on the same file system, and renamed into place under a
  lock (`staging.py`);
- `ObjectStore` (`gs://`, `s3://`, `ram://`, ...), which cannot rename: it is
  staged on local disk, then uploaded into place with `saved_model.pb` last and
  read back (`upload.py`).

Both answer the same calls, which the export makes in this order:

    with destination.prepared():              # for the whole export
        destination.is_taken(path)            # refuse early, before seconds of work
        with destination.staged() as staged:  # an empty local directory, removed after
            ...                               # save and verify the SavedModel there
            placed = destination.move_into_place(staged)
"""

import abc
import contextlib
import tempfile

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import staging, upload
from {{ cookiecutter.package_name }}.exporter.filesystems import is_local, split

# What `move_into_place` raises when nothing was moved into place.
NOT_PLACED = (staging.TargetTakenError, upload.UploadError)


def destination(export_dir, *, overwrite=False, versioned=False):
    """The `Destination` of `export_dir`: a `LocalDisk`, or else an `ObjectStore`."""
    kind = LocalDisk if is_local(export_dir) else ObjectStore
    return kind(export_dir, overwrite=overwrite, versioned=versioned)


class Destination(abc.ABC):
    """`export_dir`, or with `versioned` a new `export_dir/<N>`: where one export goes.

    `overwrite` lets it replace an export there.
    """

    def __init__(self, export_dir, *, overwrite=False, versioned=False):
        self.export_dir, self.overwrite, self.versioned = export_dir, overwrite, versioned
        # The directory the export goes into: the versions' base, or the target's parent.
        self.parent = export_dir if versioned else split(export_dir)[0]

    def prepared(self):
        """A context for the whole export; raises `OSError` if `parent` cannot be written."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    def is_taken(self, path):
        """Whether `path` holds anything (an empty directory may be replaced freely)."""

    @abc.abstractmethod
    def staged(self):
        """A context that yields a new empty local directory to save into, and removes it."""

    @abc.abstractmethod
    def next_version(self):
        """With `versioned`, the version number `move_into_place` would take now.

        Another export may take it first, and this one the next: for checking
        that the number is one TF Serving reads (`serving_checks.py`), not for naming.
        """

    @abc.abstractmethod
    def move_into_place(self, staged):
        """Moves the SavedModel in `staged` into place; returns the path it now has.

        Raises:
          one of `NOT_PLACED`: the target is taken, or the move failed; nothing
            was moved into place.
        """


class LocalDisk(Destination):
    """A local directory (NFS too): renamed into place atomically, under a lock (`staging.py`)."""

    @contextlib.contextmanager
    def prepared(self):
        """Makes `parent` (removed again if the export fails); cleans up after killed exports."""
        with staging.export_parent(self.parent):
            staging.remove_abandoned(self.parent)
            yield

    def is_taken(self, path):
        return staging.is_taken(path)

    def staged(self):
        """A directory in `parent`, on the target's file system: moving it is one rename."""
        return staging.staging_dir(self.parent)

    def next_version(self):
        return staging.next_version(self.parent)

    def move_into_place(self, staged):
        return staging.move_into_place(
            staged, self.export_dir, overwrite=self.overwrite, versioned=self.versioned
        )


class ObjectStore(Destination):
    """A URL of a filesystem without atomic rename: uploaded into place (`upload.py`)."""

    def is_taken(self, path):
        return upload.is_taken(path)

    def staged(self):
        """A local temporary directory: the export is verified on local disk, then uploaded."""
        return tempfile.TemporaryDirectory()

    def next_version(self):
        # The versions' base is made by the upload, and may not exist yet.
        return upload.next_version(self.parent) if tf.io.gfile.exists(self.parent) else 1

    def move_into_place(self, staged):
        """Uploads `staged`, `saved_model.pb` last, and checks it byte for byte."""
        return upload.upload(
            staged, self.export_dir, overwrite=self.overwrite, versioned=self.versioned
        )
