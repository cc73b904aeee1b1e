"""Keras' global settings as a consumer's process has them, for consumer code run in this one.

The tests import model.py, and a model.py may set Keras 3's global dtype policy
(`keras.config.set_dtype_policy("mixed_bfloat16")` for mixed precision). Keras
layers made afterwards take it: a `TFSMLayer` then casts its inputs to bfloat16,
which the export's float32 signature refuses. A consumer of the export never
imports model.py, so its objects are made with Keras' default policy.
"""

import contextlib

import keras


@contextlib.contextmanager
def keras_defaults():
    """Makes the Keras 3 objects created inside use Keras' default dtype policy."""
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(keras.config.floatx())
    try:
        yield
    finally:
        keras.config.set_dtype_policy(policy)
