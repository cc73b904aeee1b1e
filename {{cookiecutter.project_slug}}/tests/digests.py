"""SHA-256 digests of a directory tree: to prove an export unchanged, or rebuilt byte for byte."""

import hashlib


def file_digests(path):
    """{name relative to `path`: SHA-256 of the content} of every file under `path`."""
    return {
        file.relative_to(path).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(p for p in path.rglob("*") if p.is_file())
    }


def tree_digest(path):
    """A digest of every file name and content under `path`."""
    return hashlib.sha256(repr(sorted(file_digests(path).items())).encode()).hexdigest()
