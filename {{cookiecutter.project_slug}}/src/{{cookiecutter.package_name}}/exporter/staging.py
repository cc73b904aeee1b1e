"""Move a finished SavedModel into place: atomically, one export at a time, losing nothing.

This is how exports are moved into place on local disks and NFS, which rename
atomically and lock with `flock`; other filesystems (`gs://`, `s3://`, ...)
have neither, and `upload.py` moves them into place there (`destination.py`
chooses).

An export writes its SavedModel into a staging directory beside the target
(`staging_dir`), on the same file system, so that moving it into place is a rename:

- `move_into_place` decides the target and renames under an exclusive lock on the
  parent directory, so exports started at once against one place take turns
  for that moment only (not for their seconds of saving and verifying). Each
  ends with its own new version (`versioned`), or with a `TargetTakenError`; none
  replaces another's export unless asked to (`overwrite`), and the path it
  returns is what is on disk.
- A replaced export is moved aside first and deleted only once the new one is
  in place. A kill between those two renames leaves it in a `.previous-<pid>-`
  directory, which the next export moves back (`remove_abandoned`), as it
  deletes the staging directories of killed exports.
- Directories get the permissions the user's umask gives, like any directory
  they create (a staging directory from `tempfile` alone would be private).
"""

import contextlib
import fcntl
import os
from pathlib import Path
import shutil
import tempfile

# Prefixes of the directories an export writes beside the target: the new
# SavedModel before it is verified, and the previous one while it is replaced.
STAGING, PREVIOUS = ".staging-", ".previous-"


class TargetTakenError(Exception):
    """The target is taken; the staged export was not moved into place."""


@contextlib.contextmanager
def export_parent(parent):
    """Makes the directory `parent` and its missing parents for the block that exports there.

    If the block fails, those it made and nothing has filled since are removed
    again: a refused export leaves no directory behind.
    """
    made = [path for path in [Path(parent), *Path(parent).parents] if not path.exists()]
    try:
        Path(parent).mkdir(parents=True, exist_ok=True)
        yield
    except BaseException:
        for path in made:  # Deepest first; a directory another export uses stays.
            try:
                path.rmdir()
            except OSError:
                break
        raise


@contextlib.contextmanager
def staging_dir(parent):
    """A new empty directory in `parent`, deleted on exit unless it was moved into place."""
    path = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=parent))
    os.chmod(path, 0o777 & ~_umask())
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def move_into_place(staging, export_dir, *, overwrite=False, versioned=False):
    """Renames `staging` to `export_dir` (or to `export_dir/<N>`); returns the path it now has.

    Raises:
      TargetTakenError: `export_dir` holds an export and `overwrite` is false.
    """
    export_dir = Path(export_dir)
    with _locked(export_dir if versioned else export_dir.parent):
        if versioned:
            target = export_dir / str(next_version(export_dir))
            os.rename(staging, target)  # Nobody else names a version while we hold the lock.
            return target
        if not is_taken(export_dir):
            os.rename(staging, export_dir)  # Also replaces an empty directory.
            return export_dir
        if not overwrite:
            raise TargetTakenError(f"{export_dir} is not empty; pass --overwrite to replace it")
        previous = Path(tempfile.mkdtemp(prefix=f"{PREVIOUS}{os.getpid()}-", dir=export_dir.parent))
        os.rename(export_dir, previous / export_dir.name)
        try:
            os.rename(staging, export_dir)
        except OSError:
            os.rename(previous / export_dir.name, export_dir)
            raise
        finally:
            shutil.rmtree(previous, ignore_errors=True)
        return export_dir


def is_taken(export_dir):
    """Whether `export_dir` holds anything (an empty directory may be replaced freely)."""
    export_dir = Path(export_dir)
    return export_dir.exists() and (not export_dir.is_dir() or any(export_dir.iterdir()))


def next_version(base):
    """One more than the highest numbered directory in `base` (TF Serving's layout)."""
    versions = [int(p.name) for p in Path(base).glob("*") if p.name.isdigit()]
    return max(versions, default=0) + 1


def remove_abandoned(parent):
    """Cleans up in `parent` after exports that were killed (their process is gone)."""
    parent = Path(parent)
    with _locked(parent):
        for path in sorted(parent.glob(".*-*-*")):
            prefix, pid = path.name.split("-")[:2]
            if f"{prefix}-" not in (STAGING, PREVIOUS) or not pid.isdigit() or _alive(int(pid)):
                continue
            for kept in path.iterdir() if f"{prefix}-" == PREVIOUS else ():
                if kept.is_dir() and not (parent / kept.name).exists():
                    os.rename(kept, parent / kept.name)
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _locked(directory):
    """An exclusive lock on `directory` (flock), held by this process until exit."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # Closing releases the lock.


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # Another user's live process.
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
