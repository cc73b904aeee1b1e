"""What TF Serving and Vertex AI require of a SavedModel, checked before it is moved into place.

Each server refuses an export that breaks one of these only when it loads it,
long after the export reported success; the export refuses it first, in one line:

- a MetaGraph tagged `serve` with a `serving_default` signature: TF Serving
  loads the `serve` MetaGraph, and a request that names no signature (a REST
  `:predict` of `instances`, as Vertex AI sends) calls `serving_default`;
- with `--versioned`, a version directory TF Serving reads as one: a number
  that fits a signed 64-bit integer;
- the files under `SIZE_LIMIT_BYTES`, the documented limit.
"""

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from {{ cookiecutter.package_name }}.exporter.verify import directory_bytes

# TF Serving loads the MetaGraph with this tag, and calls this signature by default.
SERVE_TAG, SIGNATURE = "serve", "serving_default"
# TF Serving parses version directory names as int64.
MAX_VERSION = 2**63 - 1
# Google Cloud documents that "the total file size of your model directory must be
# ... 10 GB or less" on Compute Engine (N1) machine types (500 MB on the legacy MLS1
# ones): AI Platform Prediction's "Model size limits",
# https://cloud.google.com/ai-platform/prediction/docs/quotas. Taken as 10**10 bytes, the
# stricter reading of "GB". (No figure for Vertex AI's prebuilt containers was found.)
SIZE_LIMIT_BYTES = 10 * 10**9


class ServingCheckError(Exception):
    """The SavedModel breaks what TF Serving or Vertex AI requires of it."""


def check_served(export_dir, *, version=None):
    """Checks the SavedModel at `export_dir`; `version`: the version number it will take, if any.

    Raises:
      ServingCheckError: naming the first requirement it breaks, in one line.
    """
    _check_tag_and_signature(export_dir)
    if version is not None and not (str(version).isdigit() and 0 < int(version) <= MAX_VERSION):
        raise ServingCheckError(
            f"version {version} is no version directory TF Serving reads (a number from 1 to "
            f"{MAX_VERSION}); export into a new --export_dir"
        )
    size = directory_bytes(export_dir)
    if size > SIZE_LIMIT_BYTES:
        raise ServingCheckError(
            f"the SavedModel has {size:,} bytes, more than the {SIZE_LIMIT_BYTES:,} that Google "
            "Cloud's prediction service documents as its limit (exporter/serving_checks.py)"
        )


def _check_tag_and_signature(export_dir):
    """Refuses a SavedModel without a `serve` MetaGraph that holds `serving_default`."""
    with tf.io.gfile.GFile(tf.io.gfile.join(str(export_dir), "saved_model.pb"), "rb") as file:
        saved_model = saved_model_pb2.SavedModel.FromString(file.read())
    served = [graph for graph in saved_model.meta_graphs if SERVE_TAG in graph.meta_info_def.tags]
    if not served:
        tags = sorted({tag for graph in saved_model.meta_graphs
                       for tag in graph.meta_info_def.tags})
        raise ServingCheckError(
            f"the SavedModel has no MetaGraph tagged {SERVE_TAG!r} (tags: "
            f"{', '.join(tags) or 'none'}), which TF Serving loads"
        )
    if SIGNATURE not in served[0].signature_def:
        names = ", ".join(sorted(served[0].signature_def)) or "none"
        raise ServingCheckError(
            f"the SavedModel has no {SIGNATURE!r} signature (signatures: {names}), which "
            "TF Serving and Vertex AI call by default"
        )

