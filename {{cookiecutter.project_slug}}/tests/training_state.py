"""What a training step changes in a model's variables, for tests that train a consumer."""

import contextlib

import numpy as np


def variable_values(variables):
    return [variable.numpy().copy() for variable in variables]


@contextlib.contextmanager
def put_back(variables):
    """Gives every one of `variables` its value back when the block ends."""
    before = variable_values(variables)
    try:
        yield
    finally:
        for variable, value in zip(variables, before, strict=True):
            variable.assign(value)


def changed(before, variables):
    """For each variable, whether its value differs from `before` (in the same order)."""
    pairs = zip(before, variables, strict=True)
    return [not np.array_equal(old, new.numpy()) for old, new in pairs]


def as_keras_layer_lists(model):
    """(trainable, frozen) variables of `model`, in the order a hub.KerasLayer of it lists them."""
    listed = {id(variable) for variable in model.trainable_variables}
    frozen = [variable for variable in model.variables if id(variable) not in listed]
    return list(model.trainable_variables), frozen


def training_moves_non_trainable_state(model, inputs):
    """Whether a training-mode call changes variables nothing trains (batch-norm statistics).

    Those are the variables outside `trainable_variables`: a frozen Keras 3 layer's
    weights keep `trainable=True` as variables, but its `trainable_variables` leave them out.
    """
    _, frozen = as_keras_layer_lists(model)
    before = variable_values(frozen)
    model(inputs, training=True)
    return any(changed(before, frozen))
