"""What keeps a model from being restored strictly, found before any weights are read.

A checkpoint restores the variables it reaches, a Keras weights file the
weights Keras lists. Neither holds a variable the model has not built yet, one
the model keeps out of a checkpoint's reach, or what a Keras preprocessing layer
adapts outside its variables (a vocabulary, bin boundaries): exported, those
would be initialized, not trained. `restore.py` refuses such a model with the
reason given here.
"""

import keras
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.checkpoint import (
    keras_objects,
    layers,
    trackables,
)
from {{ cookiecutter.package_name }}.exporter.reusable import tf_variable

BUILD_EVERY_VARIABLE = (
    "build every variable in build_model() (start a Sequential with keras.Input(shape), build "
    "a functional model from it, or call a subclassed model once on a batch)"
)


def unbuilt_reason(model):
    """Why `model` is not restorable yet: it creates its variables in its first call; or None.

    A Keras model with no `keras.Input` (a Sequential without one, a subclassed
    model) is built by its first call. Restored before that, it has none of its
    weights, or only its seed generators' (a `Dropout`'s, made with the layer):
    the export's trace would create the others, initialized, and the
    checkpoint's would go unused.
    """
    try:
        model.variables  # noqa: B018 (tf_keras raises for a model its first call has not built)
    except ValueError:
        built = False
    else:
        built = getattr(model, "built", True)  # A tf.Module has its variables when built.
    return None if built else f"the model has no variables yet: {BUILD_EVERY_VARIABLE}"


def unrestorable_reason(model):
    """Why no checkpoint or weights file can restore all of `model`, or None if one can."""
    unbuilt = unbuilt_reason(model)
    if unbuilt:
        return unbuilt
    untracked = _untracked_variables(model)
    if untracked:
        return (
            f"{len(untracked)} variables of the model are out of reach of any checkpoint "
            f"({', '.join(untracked[:5])}); keep layers and variables in attributes, lists or "
            "dicts, not in sets or non-TensorFlow objects"
        )
    empty = _layers_without_vocabulary(model)
    if empty:
        return (
            f"layer {empty[0]!r} has no vocabulary, and no checkpoint or weights file holds one "
            "(an adapted vocabulary is not a variable); pass vocabulary= (a list or a file) to "
            "it in build_model()"
        )
    unbinned = _discretizations_without_boundaries(model)
    if unbinned:
        return (
            f"layer {unbinned[0]!r} has no bin boundaries, and no checkpoint or weights file "
            "holds them (adapted boundaries are not variables); pass bin_boundaries= to it in "
            "build_model()"
        )
    return None


def _untracked_variables(model):
    """Names of the model's variables that no checkpoint of it reaches (and so never restores)."""
    reachable = set()
    for trackable in trackables(model):
        reachable |= {id(trackable), id(tf_variable(trackable))}
    return [
        variable.name for variable in model.variables
        # tf_keras lists a lookup layer's vocabulary among its weights, for its H5
        # files, as a handler that is no variable (`VocabWeightHandler`).
        if isinstance(tf_variable(variable), tf.Variable)
        and id(variable) not in reachable and id(tf_variable(variable)) not in reachable
    ]


def _layers_without_vocabulary(model):
    """Names of Keras lookup layers (TextVectorization, StringLookup, ...) built without one.

    Keras 3 and tf_keras alike: neither checkpoints an adapted vocabulary (a
    tf_keras one stays empty after a restore, and its table uninitialized).
    """
    return [
        layer.name for layer in layers(model)
        if hasattr(layer, "get_vocabulary")
        and not layer.get_vocabulary(include_special_tokens=False)
    ]


def _discretizations_without_boundaries(model):
    """Names of Keras 3 Discretization layers built without bin boundaries (to be adapted)."""
    return [
        obj.name for obj in keras_objects(model)
        if isinstance(obj, keras.layers.Discretization) and obj.bin_boundaries is None
    ]
