"""Round trip through `tf.saved_model.load` and `hub.load`: the export is the model.

Outputs, training mode, variables and regularization losses, as the source model has
them; and no optimizer state.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.reusable import weight_penalties
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from model_io import batch_size, first, main_output


@pytest.mark.parametrize("loader", ["saved_model", "hub"])
def test_inference_equals_source_model(loader, loaded, export_dir, source_model, inputs):
    # tf.saved_model.load's object is the module's `loaded` (a load takes seconds).
    obj = loaded if loader == "saved_model" else hub.load(str(export_dir))
    for size in (1, batch_size(inputs)):  # One function serves any batch size.
        batch = first(inputs, size)
        expected = inference_outputs(source_model, batch)
        assert not differing_outputs(obj(batch), expected, OUTPUT_KEY), size
        assert not differing_outputs(obj(batch, training=False), expected, OUTPUT_KEY), size


def training_calls_differ(model, inputs):
    """Whether two training-mode calls give different outputs (dropout, noise, augmentation)."""
    first, second = model(inputs, training=True), model(inputs, training=True)
    return bool(differing_outputs(first, second, OUTPUT_KEY))


def test_inference_is_deterministic_and_training_mode_acts_as_in_the_source(
    training_loaded, training_source_model, inputs
):
    obj = training_loaded
    assert not differing_outputs(obj(inputs), obj(inputs), OUTPUT_KEY)
    assert main_output(obj(inputs, training=True)).shape == main_output(obj(inputs)).shape
    stochastic = training_calls_differ(training_source_model, inputs)
    assert training_calls_differ(obj, inputs) == stochastic, (
        "training mode should vary from call to call exactly when the source model's does"
    )


def test_variables_match_the_source_model(loaded, source_model):
    assert len(loaded.variables) == len(source_model.variables)
    assert len(loaded.trainable_variables) == len(source_model.trainable_variables)
    all_refs = {variable.ref() for variable in loaded.variables}
    assert all(variable.ref() in all_refs for variable in loaded.trainable_variables)
    pairs = zip(loaded.trainable_variables, source_model.trainable_variables, strict=True)
    for exported, source in pairs:
        np.testing.assert_array_equal(exported.numpy(), source.numpy())


def test_regularization_losses_are_the_source_weight_penalties(loaded, source_model):
    values = [function() for function in loaded.regularization_losses]
    # As many as the model has: none for a model without weight regularizers.
    assert len(values) == len(weight_penalties(source_model))
    assert all(value.shape.rank == 0 for value in values)
    expected = [float(loss) for loss in weight_penalties(source_model)]
    np.testing.assert_allclose([float(value) for value in values], expected, rtol=1e-6)


def test_export_holds_no_optimizer_state(export_dir):
    checkpoint = str(export_dir / "variables" / "variables")
    names = [name for name, _ in tf.train.list_variables(checkpoint)]
    assert names, "the SavedModel has no variables"
    leaked = [name for name in names if "optimizer" in name or "training_model" in name]
    assert not leaked, f"training state in the export: {leaked}"
