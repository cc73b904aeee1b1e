"""Export the trained model as a reusable TF2 SavedModel.

    python -m {{ cookiecutter.package_name }}.export --checkpoint_dir DIR --export_dir DIR
        [--versioned] [--pack] [--nowarmup] [--tflite [--tflite_select_ops]]
        [--compute_dtype=float32] [--sign_key KEY.pem [--sign_certificate CERT.pem
        --certificate_chain CA.pem] | --sigstore]
    python -m {{ cookiecutter.package_name }}.export --weights model.keras --export_dir DIR

`export_saved_model` (`exporter/export_lib.py`) restores the trained weights
strictly (`restore.py`), saves the model through `ReusableModule` without any
optimizer state, makes the SavedModel's one random field deterministic, scans
the graph for unsafe ops, verifies the result in a fresh Python process, and
only then moves it into place and packs it (`pack.py`). A failed or killed
export leaves any previous export untouched and nothing half-written in its
place; a refused one, no directory it made either.

The export carries TF Serving's warmup requests (`warmup.py`): the example
inputs at batch 1 and 8, which the verifier replays; `--nowarmup` leaves them out.

`--tflite` also writes the TFLite variation beside the export (`export/1.tflite`),
converted with builtin ops only and checked with LiteRT (`exporter/tflite.py`).
A model trained in mixed precision computes in 16 bits, which TFLite's builtins
cannot run: `--compute_dtype=float32` rebuilds it to compute in float32 and
restores the same weights (`exporter/compute_dtype.py`).

`--sign_key KEY.pem` signs the export once every check passed, with OpenSSF
model signing, and writes its signature beside it (`export/1.sig`,
`exporter/signing.py`); consumers verify with `model_signing verify key` or
`python -m {{ cookiecutter.package_name }}.scan --public_key KEY.pub export/1`.
`--sigstore` signs keylessly instead, as the OpenID Connect identity this
machine holds (a CI workflow's, a service account's); Sigstore is online only.

`--export_dir` and the checkpoint may be local paths or URLs of TensorFlow's
filesystems (`filesystems.py`): `gs://bucket/models/x`, `ram://x`, `s3://...`
with tensorflow-io. On local disks and NFS the export is moved into place by an
atomic rename (`staging.py`); elsewhere it is verified on local disk, then
uploaded with `saved_model.pb` last and read back (`upload.py`).
"""

import sys

from absl import flags

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.doc_facts import DocError, write_doc
from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.keyless import Sigstore
from {{ cookiecutter.package_name }}.exporter.signing import SigningKey


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    if (args.sign_certificate or args.certificate_chain) and not args.sign_key:
        sys.exit("ERROR: --sign_certificate and --certificate_chain sign with --sign_key, "
                 "the certificate's private key")
    if args.sigstore and args.sign_key:
        sys.exit("ERROR: --sigstore signs without a key: pass --sign_key or --sigstore, not both")
    if args.certificate_chain and not args.sign_certificate:
        sys.exit("ERROR: --certificate_chain is the chain above --sign_certificate: pass both")
    sign_with = args.sign_key and SigningKey(
        args.sign_key, args.sign_certificate, tuple(args.certificate_chain or ())
    )
    try:
        exported = export_saved_model(
            args.weights or args.checkpoint_dir, args.export_dir,
            overwrite=args.overwrite, versioned=args.versioned, pack=args.pack,
            warmup=args.warmup,
            tflite=args.tflite, tflite_select_ops=args.tflite_select_ops,
            compute_dtype=args.compute_dtype,
            sign_with=Sigstore() if args.sigstore else sign_with,
        )
    except ExportError as error:
        sys.exit(f"ERROR: {error}")
    print(exported)
    if args.write_doc:
        try:
            print(write_doc(exported))
        except DocError as error:  # The export stands; the doc test will say the same.
            print(f"model doc:             not written: {error}")


if __name__ == "__main__":
    flags.DEFINE_string(
        "checkpoint_dir", None,
        "Training checkpoint: a directory (its latest) or a checkpoint path.",
    )
    flags.DEFINE_string(
        "weights", None,
        "Instead of --checkpoint_dir: a file Keras saved (.keras, .weights.h5; .h5 for tf_keras).",
    )
    flags.DEFINE_string(
        "export_dir", None, "Directory to write the SavedModel to: a path or a URL (gs://...)."
    )
    flags.DEFINE_bool("overwrite", False, "Replace an existing export (and package).")
    flags.DEFINE_bool(
        "versioned", False,
        "Write to export_dir/<N>, N one more than the highest version there (TF Serving layout).",
    )
    flags.DEFINE_bool("pack", False, "Also write <export>.tar.gz and its .sha256 beside it.")
    flags.DEFINE_bool(
        "write_doc", True,
        "Rewrite the export-facts block of the model doc (assets/docs/...) from this export.",
    )
    flags.DEFINE_bool(
        "warmup", True,
        "Write TF Serving's warmup requests (assets.extra/tf_serving_warmup_requests: the example "
        "inputs at batch 1 and 8); --nowarmup leaves them out.",
    )
    flags.DEFINE_bool(
        "tflite", False,
        "Also write <export>.tflite (builtin ops only, checked with LiteRT) and its .sha256.",
    )
    flags.DEFINE_bool(
        "tflite_select_ops", False,
        "--tflite, accepting Select TF ops where builtins refuse: the .tflite then needs a "
        "runtime with the Flex delegate, which pip's ai-edge-litert lacks.",
    )
    flags.DEFINE_enum(
        "compute_dtype", None, ["float32"],
        "Rebuild a mixed-precision model (mixed_float16, mixed_bfloat16) to compute in this "
        "dtype, then restore its float32 weights: what TFLite's builtins and CPU servers run.",
    )
    flags.DEFINE_string(
        "sign_key", None,
        "Sign the verified export with this PEM elliptic-curve private key (model-signing) "
        "and write <export>.sig beside it; KEY.pub verifies it.",
    )
    flags.DEFINE_string(
        "sign_certificate", None,
        "With --sign_key: sign with this PEM certificate of that key, so that consumers verify "
        "against your certificate authority (--certificate_chain) instead of a key.",
    )
    flags.DEFINE_multi_string(
        "certificate_chain", None,
        "With --sign_certificate: the PEM certificates above it, up to the root (repeatable).",
    )
    flags.DEFINE_bool(
        "sigstore", False,
        "Sign the verified export keylessly with Sigstore, as this machine's OpenID Connect "
        "identity (SIGSTORE_IDENTITY_TOKEN, or a CI's ambient credential); online only.",
    )
    flags.mark_flags_as_mutual_exclusive(["checkpoint_dir", "weights"], required=True)
    flags.mark_flags_as_required(["export_dir"])
    cli.run(main)
