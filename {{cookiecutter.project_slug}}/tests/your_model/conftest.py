"""The export as the consumer tests load it: once per test file, and what they ask of it."""

import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.model import OUTPUT_KEY


@pytest.fixture(scope="module")
def loaded(export_dir):
    """The export, loaded once for the tests that call it in inference mode only."""
    return tf.saved_model.load(str(export_dir))


@pytest.fixture(scope="module")
def training_loaded(export_dir):
    """Another load, for the tests that call it in training mode.

    A training-mode call moves the batch-norm statistics of the loaded object,
    and so changes what inference computes afterwards.
    """
    return tf.saved_model.load(str(export_dir))


@pytest.fixture(scope="module")
def keras_layer_output_key(loaded, inputs):
    """hub.KerasLayer's `output_key`: needed (and only allowed) when the model returns a dict."""
    return OUTPUT_KEY if isinstance(loaded(inputs), dict) else None
