"""Publish an export on Kaggle Models: a checked dry run by default, then the upload, then proof.

    python -m {{ cookiecutter.package_name }}.publish --saved_model_dir export/1
        --checkpoint_dir checkpoints [--upload [--sigstore]]
    python -m {{ cookiecutter.package_name }}.publish --saved_model_dir export/1 --check
        [--public_key KEY.pub]

Without `--upload` it is a dry run: it checks, prints what it would upload, and
uploads nothing. `--check` downloads a published version back and compares it;
with `--public_key`, it first verifies the download against the export's
signature (`export/1.sig`, written by `export --sign_key`). `--sigstore` has
kagglehub sign the upload with Sigstore as well (the dry run says what).

A `.tflite` beside the export (`export --tflite`) is published with it, as the
model's TFLite variation: a second Kaggle instance, framework `tfLite`, with
checks of its own in the dry run and in `--check`.

The checks, the upload and the comparison are `exporter/publish_lib.py`'s.
"""

import sys

from absl import flags

from {{ cookiecutter.package_name }}.exporter import cli, kaggle_metadata
from {{ cookiecutter.package_name }}.exporter.publish_lib import (
    PublishError,
    check,
    prepare,
    upload,
)


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    try:
        if args.public_key and not args.check:
            raise PublishError("--public_key verifies a download: pass it with --check")
        if args.sigstore and args.check:
            raise PublishError("--sigstore signs an upload: pass it without --check")
        if args.check:
            version = f"{args.handle}/{args.version}"
            print(check(version, args.saved_model_dir, public_key=args.public_key))
            return
        source = args.weights or args.checkpoint_dir
        if not source:
            raise PublishError("pass --checkpoint_dir (or --weights) to verify the export against")
        plan = prepare(args.saved_model_dir, source, handle=args.handle, sigstore=args.sigstore)
        print(plan)
        if not args.upload:
            calls = "\n  ".join(instance.call() for instance in plan.instances())
            print(f"dry run: every check passed; with --upload this runs\n  {calls}")
            return
        for url in upload(plan):
            print(f"uploaded: {url}")
        # kagglehub sends files and license only; the kaggle CLI sends the texts.
        for instance in plan.instances():
            print(f"next: kaggle models instances update -p {instance.metadata_dir}")
    except PublishError as error:
        sys.exit(f"ERROR: {error}")


if __name__ == "__main__":
    flags.DEFINE_string("saved_model_dir", None, "The export to publish (export/1).")
    flags.DEFINE_string("checkpoint_dir", None, "The checkpoint it was exported from.")
    flags.DEFINE_string("weights", None, "Instead of --checkpoint_dir: the Keras weights file.")
    flags.DEFINE_string("handle", kaggle_metadata.HANDLE, "owner/model/tensorFlow2/variation.")
    flags.DEFINE_bool("upload", False, "Upload with kagglehub after the checks pass.")
    flags.DEFINE_bool("check", False, "Download the published version and compare it.")
    flags.DEFINE_bool(
        "sigstore", False,
        "Have kagglehub sign the upload with Sigstore (model-signing), as Kaggle's identity.",
    )
    flags.DEFINE_string(
        "public_key", None, "With --check: verify the download against <export>.sig with this key."
    )
    flags.DEFINE_integer("version", int(kaggle_metadata.VERSION), "The version --check reads.")
    flags.mark_flags_as_required(["saved_model_dir"])
    flags.mark_flags_as_mutual_exclusive(["checkpoint_dir", "weights"])
    flags.mark_bool_flags_as_mutual_exclusive(["upload", "check"])
    cli.run(main)
