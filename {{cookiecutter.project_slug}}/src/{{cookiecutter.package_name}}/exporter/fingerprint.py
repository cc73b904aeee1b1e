"""A deterministic `fingerprint.pb`: the one file TensorFlow writes differently on every save.

TensorFlow draws the fingerprint's UUID at random; every other byte of a
SavedModel is the same for the same model and weights. Deriving the UUID from
the fingerprint's own hashes makes two exports of one checkpoint, and their
packages, byte-identical.
"""

from pathlib import Path
import uuid

from tensorflow.core.protobuf import fingerprint_pb2


def make_fingerprint_deterministic(path):
    """Replaces the random UUID in `path`'s `fingerprint.pb` with one derived from its hashes."""
    fingerprint_file = Path(path) / "fingerprint.pb"
    fingerprint = fingerprint_pb2.FingerprintDef.FromString(fingerprint_file.read_bytes())
    hashes = (
        fingerprint.saved_model_checksum, fingerprint.graph_def_program_hash,
        fingerprint.signature_def_hash, fingerprint.saved_object_graph_hash,
        fingerprint.checkpoint_hash,
    )
    fingerprint.uuid = str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, hashes))))
    fingerprint_file.write_bytes(fingerprint.SerializeToString(deterministic=True))
