"""Sign an export with OpenSSF model signing, and verify a download before anything loads it.

`export --sign_key KEY.pem` signs the export it has scanned and verified,
file by file, with `model-signing`'s elliptic-curve key signer (offline: no
Sigstore, no network), and writes the signature beside the export:
`export/1` -> `export/1.sig`, as its package `export/1.tar.gz` is.

Beside, not inside: a signature cannot cover the directory it lies in without
being left out of what it signs, and an ECDSA signature differs at every
signing; in the package it would make the `.tar.gz` change at every export.
Beside, the package keeps its bytes and SHA-256, and the signature also
verifies the package's extracted files (the signature names no directory).

Every file is signed, git's included (`model-signing` skips `.git*` by
default): an export holds none, and one that appears must be refused, not
skipped. Consumers verify with `model-signing`'s own CLI, which needs nothing
of this project:

    model_signing verify key export/1 --signature export/1.sig --public_key KEY.pub

A publisher with a certificate authority signs with the key and its
certificate (`SigningKey`), and consumers verify against the CA's certificate
instead of a key they were handed (`model_signing verify certificate ...
--certificate_chain CA.pem`). Keyless, Sigstore certifies the OpenID Connect
identity the signing machine holds (`keyless.py`): online only;
kagglehub also offers it on upload (`publish --sigstore`).
"""

import ast
import dataclasses
import importlib
import os
from pathlib import Path
import re

from {{ cookiecutter.package_name }}.exporter.errors import first_line

SUFFIX = ".sig"


class SigningError(Exception):
    """A key that cannot sign, or an export its signature does not vouch for; one line."""


@dataclasses.dataclass(frozen=True)
class SigningKey:
    """A PEM elliptic-curve private key and, to sign with a certificate, it and its chain."""

    private_key: str
    certificate: str | None = None
    chain: tuple = ()  # The intermediate and root certificates above `certificate`.


def signature_path(export_dir):
    """Where the signature of `export_dir` goes: beside it, named after it."""
    return Path(f"{os.fspath(export_dir).rstrip('/')}{SUFFIX}")


def model_signing(module):
    """`model_signing.<module>`, imported only to sign or verify: export and scan run without it."""
    try:
        return importlib.import_module(f"model_signing.{module}")
    except ImportError:
        raise SigningError(
            "signing needs model-signing: pip install -e '.[sign]' (in this project)"
        ) from None


def every_file(ignored=()):
    """The hashing rules: every file of the export but `ignored`, git's included."""
    rules = model_signing("hashing").Config()
    return rules.set_ignored_paths(paths=list(ignored), ignore_git_paths=False)


def key_signer(key):
    """A signer holding `key` (`SigningKey`, or a private key's path), read before any work."""
    key = key if isinstance(key, SigningKey) else SigningKey(key)
    private_key, config = key.private_key, model_signing("signing").Config()
    try:
        if key.certificate:
            config = config.use_certificate_signer(
                private_key=private_key, signing_certificate=key.certificate,
                certificate_chain=list(key.chain),
            )
        else:
            config = config.use_elliptic_key_signer(private_key=private_key)
    except FileNotFoundError as error:
        raise SigningError(f"no signing key or certificate {error.filename}") from None
    except (ValueError, TypeError) as error:  # Not a private key, encrypted, another curve.
        raise SigningError(
            f"{private_key} cannot sign: {first_line(error)} (model-signing takes a PEM "
            "elliptic-curve private key without password: openssl ecparam -name prime256v1 "
            "-genkey -noout -out key.pem)"
        ) from None
    return config.set_hashing_config(every_file())


def sign_export(export_dir, signer):
    """Signs every file of `export_dir`; writes its signature beside it, whole or not at all."""
    target = signature_path(export_dir)
    partial = target.with_name(f".{target.name}.partial")
    try:
        signer.sign(Path(export_dir), partial)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise SigningError(f"cannot write {target}: {error.strerror}") from None
    return target


def verify_export(export_dir, public_key=None, signature=None, *, certificate_chain=(), ignored=()):
    """Checks, before anything is loaded, that `signature` vouches for every file of `export_dir`.

    Args:
      export_dir: a local export, or the extracted package.
      public_key: the publisher's PEM public key; or
      certificate_chain: the PEM certificates of the CA the publisher's certificate chains to.
      signature: by default the one beside `export_dir` (`signature_path`).
      ignored: relative paths that are not the publisher's (a host's own files).
    Returns:
      a summary line.
    Raises:
      SigningError: one line saying what differs.
    """
    export_dir = Path(export_dir)
    signature = Path(signature) if signature else signature_path(export_dir)
    if not signature.is_file():
        raise SigningError(
            f"{export_dir} is not signed: no {signature}; get the signature from the publisher"
        )
    trusted = ", ".join(map(str, certificate_chain)) or public_key
    for path in certificate_chain or [public_key]:
        if not Path(path).is_file():
            raise SigningError(f"no public key or certificate {path}")
    verifying, rules = model_signing("verifying"), every_file(ignored)
    try:
        if certificate_chain:
            verifier = verifying.Config().use_certificate_verifier(
                certificate_chain=list(certificate_chain)
            )
        else:
            verifier = verifying.Config().use_elliptic_key_verifier(public_key=public_key)
        verifier.set_hashing_config(rules).verify(export_dir, signature)
    except Exception as error:  # model-signing raises ValueError, KeyError, ...: all refusals.
        raise SigningError(_reason(error, export_dir, signature, trusted)) from None
    files = sum(1 for path in export_dir.rglob("*") if path.is_file())
    return f"{export_dir}: signature {signature.name} verified ({files} files) with {trusted}"


def _reason(error, export_dir, signature, public_key):
    """model-signing's refusal as one line that says what is wrong (its own lists every digest)."""
    message = str(error)
    if type(error).__name__ == "X509StoreContextError":  # pyOpenSSL's, for the certificate.
        return (f"{signature}'s certificate does not chain to {public_key}: "
                f"{first_line(error)}; another CA, or an expired certificate")
    if isinstance(error, AttributeError):  # A key's signature read as a certificate's, or back.
        return (f"{signature} is not of the kind {public_key} verifies: a signature by a bare key "
                "needs --public_key, one by a certificate --certificate_chain")
    if "PUBLIC KEY" in message or "Could not deserialize" in message:
        return f"{public_key} is not a PEM public key: {first_line(error)}"
    if message.startswith("Key mismatch"):
        return f"{signature} was not signed with the key of {public_key}: wrong public key"
    differences = _differences(message)
    changed = [re.match(r"Hash mismatch for '(.+?)': ", line) for line in differences]
    changed = [match[1] for match in changed if match]
    missing = _first_file(differences, "Missing files in model ")
    extra = _first_file(differences, "Extra files found in model ")
    if len(changed) > 1 or (changed and (missing or extra)):
        return (f"{changed[0]} and other files differ from what {signature.name} signed: "
                "a signature of another export, or tampered")
    if changed:
        return f"{changed[0]} differs from what {signature.name} signed: tampered"
    if missing:
        return f"{missing} is missing from {export_dir} ({signature.name} signed it)"
    if extra:
        return f"{extra} in {export_dir} is not signed by {signature.name}: extra file"
    return f"{signature} does not verify {export_dir}: {first_line(error)}"


def _differences(message):
    """The lines of model-signing 1.1's "Signature mismatch: [...]" (a Python list), or none."""
    try:
        return ast.literal_eval(message.partition("Signature mismatch: ")[2] or "[]")
    except (ValueError, SyntaxError):
        return []


def _first_file(differences, prefix):
    """The first file a "<prefix>'<model>': a, b" line names, or None."""
    for line in differences:
        if line.startswith(prefix):
            return line.partition("': ")[2].split(", ")[0]
    return None
