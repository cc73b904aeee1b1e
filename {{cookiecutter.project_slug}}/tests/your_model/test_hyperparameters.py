"""The hyperparameters consumers can set: traced, exactly the declared ones, each effective."""

import itertools

import numpy as np
import pytest
import tensorflow_hub as hub

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    same_values,
)
from {{ cookiecutter.package_name }}.model import HYPERPARAMETERS, OUTPUT_KEY

from consumer_defaults import keras_defaults
from model_io import main_output
from training_state import put_back, variable_values


def test_every_argument_combination_is_traced(loaded):
    functions = loaded.__call__.concrete_functions
    signatures = [function.structured_input_signature for function in functions]
    traced = {(args[1], tuple(sorted(kwargs))) for args, kwargs in signatures}
    names = sorted(HYPERPARAMETERS)
    expected = {
        (training, given)
        for training in (False, True)
        for count in range(len(names) + 1)
        for given in itertools.combinations(names, count)
    }
    assert traced == expected


def other_value(default):
    """A value of a hyperparameter other than its default, and as valid: half of it.

    Not zero: a temperature or a scale divides by it.
    """
    return default / 2 if default else 0.5


def spread(model, inputs, **hyperparameters):
    """How much training-mode outputs vary from call to call (dropout, noise)."""
    outputs = [main_output(model(inputs, training=True, **hyperparameters)) for _ in range(8)]
    return float(np.std(outputs, axis=0).mean())


def state_after_training_call(loaded, inputs, **hyperparameters):
    """The values of every variable after one training-mode call, which is then undone.

    Random-number state included (Keras 3's in `variables`, tf_keras's apart):
    from the same state, the same call draws the same numbers.
    """
    state = [*loaded.variables, *getattr(loaded, "unlisted_variables", [])]
    with put_back(state):
        loaded(inputs, training=True, **hyperparameters)
        return variable_values(state)


def same_state(first, second):
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_hyperparameters_are_exactly_the_declared_ones(training_loaded, inputs):
    loaded = training_loaded
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(inputs, not_a_hyperparameter=0.5)
    for name, default in HYPERPARAMETERS.items():
        other = other_value(default)
        # Each reaches the model: it changes the inference outputs, how much training
        # outputs vary (a dropout rate), or what a training-mode call does to the
        # variables (a batch-norm momentum, TF Hub's `batch_norm_momentum`): that,
        # where the same call from the same values always does the same.
        moves_inference = differing_outputs(
            loaded(inputs, **{name: other}), loaded(inputs, **{name: default}), OUTPUT_KEY
        )
        moves_spread = not np.isclose(
            spread(loaded, inputs, **{name: other}), spread(loaded, inputs), rtol=0.1, atol=1e-7
        )
        state = state_after_training_call(loaded, inputs, **{name: default})
        moves_state = same_state(state, state_after_training_call(loaded, inputs)) and not (
            same_state(state, state_after_training_call(loaded, inputs, **{name: other}))
        )
        assert moves_inference or moves_spread or moves_state, (
            f"hyperparameter {name!r} changes nothing: not the inference outputs, not how much "
            "training outputs vary, not what a training-mode call does to the variables (checked "
            "when that call is repeatable: a model whose random ops are unseeded varies it)"
        )


def test_keras_layer_passes_hyperparameters_as_arguments(
    export_dir, loaded, inputs, keras_layer_output_key
):
    arguments = {name: other_value(default) for name, default in HYPERPARAMETERS.items()}
    with keras_defaults():
        layer = hub.KerasLayer(
            str(export_dir), trainable=True, arguments=arguments or None,
            output_key=keras_layer_output_key,
        )
    expected = main_output(loaded(inputs, **arguments))
    assert same_values(layer(inputs).numpy(), expected)
