"""Deterministic bytes: what TensorFlow, or tf_keras, writes differently on every save.

TensorFlow draws the UUID of `fingerprint.pb` at random; tf_keras names the two
kernels of each `GRU` and `LSTM` (cuDNN and plain, which Grappler swaps by that
name, their `api_implements` attribute) with a random UUID too. Every other
byte of a SavedModel is the same for the same model and weights. Deriving both
from what is saved makes two exports of one checkpoint, and their packages,
byte-identical.
"""

from pathlib import Path
import re
import uuid

from tensorflow.core.protobuf import fingerprint_pb2
from tensorflow.python.saved_model.pywrap_saved_model import fingerprinting

# `api_implements` of a tf_keras recurrent kernel: gru_ or lstm_, then uuid4().
KERNEL_NAME = re.compile(rb"(gru|lstm)_([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})")


def make_fingerprint_deterministic(path):
    """Replaces the random UUIDs in `path`'s `saved_model.pb` and `fingerprint.pb`."""
    if _name_kernels_deterministically(Path(path) / "saved_model.pb"):
        # The fingerprint hashes saved_model.pb: computed again, with what
        # tf.saved_model.save computes it (no public API exposes it).
        (Path(path) / "fingerprint.pb").write_bytes(fingerprinting.CreateFingerprintDef(str(path)))
    fingerprint_file = Path(path) / "fingerprint.pb"
    fingerprint = fingerprint_pb2.FingerprintDef.FromString(fingerprint_file.read_bytes())
    hashes = (
        fingerprint.saved_model_checksum, fingerprint.graph_def_program_hash,
        fingerprint.signature_def_hash, fingerprint.saved_object_graph_hash,
        fingerprint.checkpoint_hash,
    )
    fingerprint.uuid = str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, hashes))))
    fingerprint_file.write_bytes(fingerprint.SerializeToString(deterministic=True))


def _name_kernels_deterministically(saved_model_file):
    """Renames each recurrent kernel pair's random UUID by its order in the file; whether any.

    The same length, so the protobuf's bytes stay valid; each UUID maps to one
    new one, so the pairs Grappler swaps stay pairs.
    """
    content = saved_model_file.read_bytes()
    found = dict.fromkeys(match[2] for match in KERNEL_NAME.finditer(content))
    for index, old in enumerate(found):
        new = str(uuid.uuid5(uuid.NAMESPACE_OID, f"recurrent kernel {index}")).encode()
        content = content.replace(old, new)
    if found:
        saved_model_file.write_bytes(content)
    return bool(found)
