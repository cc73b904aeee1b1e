"""Signed exports: the session's export is signed, verifies, and every tampering is refused.

The session's exports ran with `--sign_key` (tests/conftest.py). The refusals
work on a copy of `serving/1` and its signature, and go through the scan
command a consumer runs: one line each, and the graph is not even parsed.
"""

import datetime
import re
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.keyless import TOKEN_VARIABLE, Sigstore
from {{ cookiecutter.package_name }}.exporter.pack import (
    PackError,
    archive_members,
    pack_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.signing import (
    SigningKey,
    key_signer,
    sign_export,
    signature_path,
)

# Where each CI's ambient OpenID Connect credential is found (the `id` package's detectors).
AMBIENT_CREDENTIALS = ("GITHUB_ACTIONS", "GOOGLE_SERVICE_ACCOUNT_NAME", "BUILDKITE", "GITLAB_CI",
                       "CIRCLECI")


@pytest.fixture
def signed_copy(export_dir, tmp_path):
    """A copy of the session's export with its signature beside it, to break."""
    copy = tmp_path / "download" / export_dir.name
    shutil.copytree(export_dir, copy)
    shutil.copy(signature_path(export_dir), signature_path(copy))
    return copy


def scan(run_command, path, public_key, *signature):
    """`scan --public_key KEY path`, run as a consumer does: (exit status, what it printed)."""
    return run_command("scan", "--public_key", public_key, *signature, path)


def test_the_session_export_is_signed_and_verifies(export_dir, signing_keys, run_command):
    status, printed = scan(run_command, export_dir, signing_keys["publisher"][1])
    assert status == 0, printed
    assert f"{export_dir}: signature 1.sig verified (" in printed
    assert f"{export_dir}: clean" in printed  # Scanned only once verified.


def test_model_signings_own_cli_verifies_it(export_dir, signing_keys):
    """What the model doc tells consumers, who do not have this project, to type."""
    result = subprocess.run(
        [sys.executable, "-m", "model_signing", "verify", "key", str(export_dir),
         "--signature", f"{export_dir}.sig", "--public_key", str(signing_keys["publisher"][1])],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0 and "Verification succeeded" in result.stdout, result.stderr


def test_signing_leaves_the_package_as_it_was(export_dir, tmp_path):
    """The signature lies beside the package: repacking the signed export gives the same bytes."""
    archive = export_dir.with_name(f"{export_dir.name}.tar.gz")
    digest = pack_saved_model(export_dir, tmp_path / "repacked.tar.gz")
    assert (tmp_path / "repacked.tar.gz").read_bytes() == archive.read_bytes()
    assert (archive.parent / f"{archive.name}.sha256").read_text().split()[0] == digest
    assert not any(name.endswith(".sig") for name in archive_members(export_dir))


def test_each_export_has_its_own_signature_and_both_verify(racing_exports, signing_keys,
                                                          run_command):
    """ECDSA signs differently each time; the two exports are the same bytes, so each verifies."""
    serving = racing_exports["root"] / "serving"
    assert (serving / "1.sig").read_bytes() != (serving / "2.sig").read_bytes()
    status, printed = scan(
        run_command, serving / "1", signing_keys["publisher"][1], "--signature", serving / "2.sig"
    )
    assert status == 0, printed


def another_export(tmp_path, signing_keys):
    """A small SavedModel of other weights, signed with the publisher's key: its signature."""
    other = tf.Module()
    other.kernel = tf.Variable(tf.ones([3]))
    other.__call__ = tf.function(lambda x: x * other.kernel, input_signature=[
        tf.TensorSpec([None, 3], tf.float32)
    ])
    tf.saved_model.save(other, str(tmp_path / "other"))
    return sign_export(tmp_path / "other", key_signer(signing_keys["publisher"][0]))


def change_a_byte(copy, keys, tmp_path):
    data = next((copy / "variables").glob("variables.data-*"))
    content = bytearray(data.read_bytes())
    content[len(content) // 2] ^= 1
    data.write_bytes(bytes(content))
    return keys["publisher"][1], ()


def add_a_file(copy, keys, tmp_path):
    (copy / "assets.extra" / "notes.txt").write_text("not exported")
    return keys["publisher"][1], ()


def remove_a_file(copy, keys, tmp_path):
    (copy / "variables" / "variables.index").unlink()
    return keys["publisher"][1], ()


def use_the_wrong_key(copy, keys, tmp_path):
    return keys["other"][1], ()


def use_another_exports_signature(copy, keys, tmp_path):
    return keys["publisher"][1], ("--signature", another_export(tmp_path, keys))


def drop_the_signature(copy, keys, tmp_path):
    signature_path(copy).unlink()
    return keys["publisher"][1], ()


@pytest.mark.parametrize("tamper, refusal", [
    (change_a_byte, r"variables/variables\.data-\S+ differs from what 1\.sig signed: tampered"),
    (add_a_file, r"assets\.extra/notes\.txt in \S+ is not signed by 1\.sig: extra file"),
    (remove_a_file, r"variables/variables\.index is missing from \S+ \(1\.sig signed it\)"),
    (use_the_wrong_key, r"1\.sig was not signed with the key of \S+other\.pub: wrong public key"),
    (use_another_exports_signature,
     r"\S+ and other files differ from what other\.sig signed: a signature of another export"),
    (drop_the_signature, r"\S+/1 is not signed: no \S+/1\.sig; get the signature from"),
])
def test_each_refusal_is_one_line_before_anything_is_read(
    signed_copy, signing_keys, run_command, tmp_path, tamper, refusal
):
    public_key, signature = tamper(signed_copy, signing_keys, tmp_path)
    status, printed = scan(run_command, signed_copy, public_key, *signature)
    assert status == 1
    lines = printed.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{signed_copy}: REFUSED "), printed
    assert re.search(refusal, lines[0]), lines[0]
    assert "clean" not in printed  # Refused before saved_model.pb was parsed.


def test_export_refuses_a_key_that_cannot_sign_before_any_work(signing_keys, tmp_path):
    with pytest.raises(ExportError) as refused:
        export_saved_model(
            tmp_path / "no_checkpoint", tmp_path / "export", sign_with=signing_keys["publisher"][1]
        )
    message = str(refused.value)
    assert message.startswith(f"{signing_keys['publisher'][1]} cannot sign: ")
    assert "\n" not in message and "openssl ecparam" in message
    assert not (tmp_path / "export").exists()


@pytest.fixture
def no_identity(monkeypatch):
    """A machine without an OpenID Connect identity for Sigstore, as a developer's laptop."""
    for name in (*AMBIENT_CREDENTIALS, TOKEN_VARIABLE):
        monkeypatch.delenv(name, raising=False)


def test_sigstore_without_an_identity_is_refused_before_any_work(no_identity, tmp_path):
    with pytest.raises(ExportError) as refused:
        export_saved_model(tmp_path / "no_checkpoint", tmp_path / "export", sign_with=Sigstore())
    message = str(refused.value)
    assert message.startswith(
        "--sigstore signs as this machine's OpenID Connect identity, and it has none: "
        f"set {TOKEN_VARIABLE}, or run where an ambient credential is"
    ), message
    assert "\n" not in message and not (tmp_path / "export").exists()


def test_sigstore_with_an_identity_goes_as_far_as_the_network(
    no_identity, monkeypatch, tmp_path
):
    # Sigstore reads the token only when it signs; reaching its trust root comes first.
    monkeypatch.setenv(TOKEN_VARIABLE, "a token from the CI's identity provider")
    with pytest.raises(ExportError) as refused:
        export_saved_model(tmp_path / "no_checkpoint", tmp_path / "export", sign_with=Sigstore())
    message = str(refused.value)
    assert "\n" not in message and not (tmp_path / "export").exists()
    # Offline (CI's machines are), its trust root is out of reach and nothing is done. Online,
    # the signer is made, and the missing checkpoint is what refuses: the identity was taken.
    if message.startswith("--sigstore cannot reach Sigstore's trust root: "):
        assert message.endswith("(Sigstore is online only; offline, use --sign_key)"), message
    else:
        assert "no_checkpoint" in message, message


def test_a_signature_inside_the_export_is_not_packed(signed_copy):
    shutil.copy(signature_path(signed_copy), signed_copy / "model.sig")
    with pytest.raises(PackError, match="model.sig is a signature: it goes beside the export"):
        archive_members(signed_copy)


def certificate_authority(directory, name):
    """`directory`/ca.pem, a CA's certificate, and the key and code-signing certificate it issued.

    Returns the `SigningKey` of that key and certificate, with the CA as its chain.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject, public_key, is_ca):
        usage = dict.fromkeys(["content_commitment", "key_encipherment", "data_encipherment",
                               "key_agreement", "encipher_only", "decipher_only"], False)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")]))
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=not is_ca, key_cert_sign=is_ca,
                                         crl_sign=is_ca, **usage), critical=True)
        )
        if not is_ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    directory.mkdir()
    (directory / "ca.pem").write_bytes(certificate(f"{name} CA", ca_key.public_key(), True))
    (directory / "cert.pem").write_bytes(certificate(name, key.public_key(), False))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return SigningKey(directory / "key.pem", directory / "cert.pem", (directory / "ca.pem",))


def test_a_certificate_signature_verifies_against_its_ca_alone(
    signed_copy, signing_keys, run_command, tmp_path
):
    publisher = certificate_authority(tmp_path / "publisher", "publisher")
    stranger = certificate_authority(tmp_path / "stranger", "stranger")
    sign_export(signed_copy, key_signer(publisher))
    verified = [
        run_command("scan", "--certificate_chain", ca, signed_copy)
        for ca in (publisher.chain[0], stranger.chain[0])
    ]
    assert verified[0][0] == 0 and "signature 1.sig verified (" in verified[0][1], verified[0]
    status, printed = verified[1]
    assert status == 1 and printed.count("\n") == 1, printed
    assert f"1.sig's certificate does not chain to {stranger.chain[0]}: " in printed
    # A bare key does not verify a certificate's signature: one line says which flag does.
    status, printed = scan(run_command, signed_copy, signing_keys["publisher"][1])
    assert status == 1 and "needs --public_key, one by a certificate --certificate_chain" in printed
    # model-signing's own CLI, as a consumer without this project verifies.
    cli = subprocess.run(
        [sys.executable, "-m", "model_signing", "verify", "certificate", str(signed_copy),
         "--signature", str(signature_path(signed_copy)),
         "--certificate_chain", str(publisher.chain[0])],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert cli.returncode == 0 and "Verification succeeded" in cli.stdout, cli.stderr


@pytest.mark.parametrize("flags, refusal", [
    (["--sign_certificate", "cert.pem"], "--sign_certificate and --certificate_chain sign with "),
    (["--sign_key", "key.pem", "--certificate_chain", "ca.pem"], "--certificate_chain is the "),
    (["--sign_key", "key.pem", "--sigstore"], "--sigstore signs without a key: pass --sign_key "),
])
def test_signing_flags_that_do_not_go_together_are_refused(
    flags, refusal, run_command, tmp_path
):
    message, _ = run_command(
        "export", "--checkpoint_dir", tmp_path / "run", "--export_dir", tmp_path / "export", *flags
    )
    assert message.startswith(f"ERROR: {refusal}") and "\n" not in message, message
    assert not (tmp_path / "export").exists()
