"""Keras' global settings as a consumer's process has them, for consumer code run in this one.

The tests import model.py, and a model.py may set a global dtype policy for
mixed precision: Keras 3's (`keras.config.set_dtype_policy("mixed_bfloat16")`)
or tf_keras's (`tf_keras.mixed_precision.set_global_policy(...)`). Layers made
afterwards take it: a `TFSMLayer` or `hub.KerasLayer` then casts its inputs to
bfloat16, which the export's float32 signature refuses. A consumer of the export
never imports model.py, so its objects are made with the default policies.
"""

import contextlib

import keras
import tf_keras


@contextlib.contextmanager
def keras_defaults():
    """Makes the Keras 3 and tf_keras objects created inside use their default dtype policy."""
    policy = keras.config.dtype_policy()
    legacy_policy = tf_keras.mixed_precision.global_policy()
    keras.config.set_dtype_policy(keras.config.floatx())
    tf_keras.mixed_precision.set_global_policy(None)  # None: the float type, as by default.
    try:
        yield
    finally:
        keras.config.set_dtype_policy(policy)
        tf_keras.mixed_precision.set_global_policy(legacy_policy)
