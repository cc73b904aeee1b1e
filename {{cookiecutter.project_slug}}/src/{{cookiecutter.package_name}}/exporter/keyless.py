"""Keyless signing: Sigstore certifies the OpenID Connect identity the signing machine holds.

`export --sigstore` signs as a CI workflow or a service account, with no key
to keep: Sigstore's certificate authority (Fulcio) certifies the identity for
minutes, and its public log (Rekor) records the signature. It is online only,
and model-signing's Sigstore signer writes the same `export/1.sig` as a key
does (`signing.py`); consumers verify against the identity:

    model_signing verify sigstore export/1 --signature export/1.sig \\
        --identity <workflow or account> --identity_provider <its issuer>
"""

import dataclasses
import os

from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.signing import (
    SigningError,
    every_file,
    model_signing,
)

# Where Sigstore's own CLI reads an identity token from, beside the ambient credentials.
TOKEN_VARIABLE = "SIGSTORE_IDENTITY_TOKEN"


@dataclasses.dataclass(frozen=True)
class Sigstore:
    """What `export --sigstore` signs with: this machine's identity, no key."""


def sigstore_signer():
    """A keyless signer for the identity this machine holds, or the refusal, before any work.

    Sigstore's certificate authority certifies an OpenID Connect identity (a CI
    workflow, a service account) for minutes and its transparency log records
    the signature: no key to keep, but online only. The identity is
    SIGSTORE_IDENTITY_TOKEN's, or an ambient credential's (GitHub Actions with
    `id-token: write`, GCP, GitLab, Buildkite, CircleCI). An export never opens
    a browser to ask for one, as model-signing would without one.
    """
    config = model_signing("signing").Config()  # Refuses first if model-signing is missing.
    from sigstore import oidc  # model-signing's own dependency, which finds ambient credentials.

    try:
        token = os.environ.get(TOKEN_VARIABLE) or oidc.detect_credential()
    except oidc.IdentityError as error:
        raise SigningError(f"--sigstore: {first_line(error)}") from None
    if not token:
        raise SigningError(
            f"--sigstore signs as this machine's OpenID Connect identity, and it has none: set "
            f"{TOKEN_VARIABLE}, or run where an ambient credential is (GitHub Actions with "
            "id-token: write, GCP, GitLab, Buildkite, CircleCI); offline, use --sign_key"
        )
    try:
        config = config.use_sigstore_signer(identity_token=token)
    except Exception as error:  # sigstore's TUFError, network errors: Sigstore is unreachable.
        raise SigningError(
            f"--sigstore cannot reach Sigstore's trust root: {first_line(error)} (Sigstore is "
            "online only; offline, use --sign_key)"
        ) from None
    return config.set_hashing_config(every_file())
