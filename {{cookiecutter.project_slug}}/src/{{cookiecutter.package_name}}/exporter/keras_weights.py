"""Keras' own weight files (`.keras`, `.weights.h5`, `.h5`): which of a model's weights one lacks.

`restore.py` reads them with the model's `load_weights`. Keras 3 warns and
keeps fresh weights where a file lacks a nested container's group, so the
file's entries are compared with the model's first.
"""

import io
from pathlib import Path
import tempfile
import zipfile

import h5py
import tensorflow as tf

# Names of the files Keras' saving writes: Keras 3's two, then tf_keras' H5 file.
KERAS_FILES = (".keras", ".weights.h5", ".h5")


def missing_keras_entries(model, path):
    """Keras weight-file entries (`layers/dense/vars/0`) of `model` that `path` lacks."""
    with tempfile.TemporaryDirectory() as scratch:
        own = Path(scratch) / "model.weights.h5"
        model.save_weights(own)
        expected = _h5_shapes(own)
    with tf.io.gfile.GFile(path, "rb") as file:
        data = io.BytesIO(file.read())
    if path.endswith(".keras"):
        with zipfile.ZipFile(data) as archive:
            data = io.BytesIO(archive.read("model.weights.h5"))
    found = _h5_shapes(data)
    return sorted(name for name, shape in expected.items() if found.get(name) != shape)


def _h5_shapes(file):
    shapes = {}
    with h5py.File(file, "r") as weights:
        weights.visititems(
            lambda name, item: shapes.update({name: item.shape})
            if isinstance(item, h5py.Dataset) else None
        )
    return shapes
