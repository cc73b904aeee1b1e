"""Inspect a SavedModel's graph, without executing it, for ops a model has no business running.

    python -m {{ cookiecutter.package_name }}.scan PATH [PATH ...]

PATH is a SavedModel directory: a local path or a URL TensorFlow reads (`gs://...`).

A SavedModel is a program: its functions, and the init op that runs when it is
loaded, can read and write files or call back into Python. This scan parses
`saved_model.pb` only (nothing is loaded or run), so a consumer can check a
download before trusting it; every export runs it.

It is an allowlist, not a denylist (`exporter/op_allowlist.py` says which ops
a model may run, and why; add an op your own model needs there).

Exit status: 0 when clean, 1 when an op is refused (each finding on its own line).
"""

import sys

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    location,
)
from {{ cookiecutter.package_name }}.exporter.op_allowlist import scan_saved_model


def main(argv):
    paths = argv[1:]
    if not paths:
        sys.exit("ERROR: name at least one SavedModel directory to scan")
    refused = False
    for path in paths:
        try:
            findings = scan_saved_model(location(path))
        except UnknownSchemeError as error:
            sys.exit(f"ERROR: {error}")
        for finding in findings:
            print(f"{path}: REFUSED {finding}")
        if not findings:
            print(f"{path}: clean (every op is on the allowlist)")
        refused = refused or bool(findings)
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    cli.run(main)
