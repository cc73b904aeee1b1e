"""Inspect a SavedModel's graph, without executing it, for ops a model has no business running.

    python -m {{ cookiecutter.package_name }}.scan PATH [PATH ...]
    python -m {{ cookiecutter.package_name }}.scan --public_key KEY.pub
        [--signature SIG] PATH
    python -m {{ cookiecutter.package_name }}.scan --certificate_chain CA.pem PATH

PATH is a SavedModel directory: a local path or a URL TensorFlow reads (`gs://...`).

A SavedModel is a program: its functions, and the init op that runs when it is
loaded, can read and write files or call back into Python. This scan parses
`saved_model.pb` only (nothing is loaded or run), so a consumer can check a
download before trusting it; every export runs it.

It is an allowlist, not a denylist (`exporter/op_allowlist.py` says which ops
a model may run, and why; add an op your own model needs there).

With `--public_key` (or `--certificate_chain`, for an export signed with a
certificate: `export --sign_certificate`), the export's signature (`PATH.sig`,
what `export --sign_key` wrote; or `--signature`) is verified first, file by
file (`exporter/signing.py`): a changed, extra or missing file, another key or
another export's signature is refused before even `saved_model.pb` is parsed.

Exit status: 0 when clean, 1 when an op or the signature is refused (each on its own line).
"""

import sys

from absl import flags

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    location,
)
from {{ cookiecutter.package_name }}.exporter.op_allowlist import scan_saved_model


def main(argv):
    paths, args = argv[1:], flags.FLAGS
    if not paths:
        sys.exit("ERROR: name at least one SavedModel directory to scan")
    trusted = args.public_key or args.certificate_chain
    if args.public_key and args.certificate_chain:
        sys.exit("ERROR: verify with --public_key or with --certificate_chain, not both")
    if args.signature and (len(paths) > 1 or not trusted):
        sys.exit("ERROR: --signature names the signature of one PATH, verified with --public_key")
    refused = False
    for path in paths:
        if trusted:
            verified = _verified(path, args)
            refused = refused or not verified
            if not verified:
                continue  # An export its signature does not vouch for is not even parsed.
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


def _verified(path, args):
    """Whether the signature vouches for every file of `path`; prints the verdict."""
    # Only here: a scan without --public_key needs no model-signing installed.
    from {{ cookiecutter.package_name }}.exporter.signing import (
        SigningError,
        verify_export,
    )

    try:
        print(verify_export(
            path, args.public_key, args.signature, certificate_chain=args.certificate_chain or ()
        ))
    except SigningError as error:
        print(f"{path}: REFUSED {error}")
        return False
    return True


if __name__ == "__main__":
    flags.DEFINE_string(
        "public_key", None,
        "Verify each PATH's signature with this PEM public key before scanning it.",
    )
    flags.DEFINE_multi_string(
        "certificate_chain", None,
        "Instead of --public_key: the PEM certificates of the CA a signing certificate chains to.",
    )
    flags.DEFINE_string("signature", None, "The signature of PATH (default: PATH.sig beside it).")
    cli.run(main)
