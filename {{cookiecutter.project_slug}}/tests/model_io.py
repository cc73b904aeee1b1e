"""The model's input and output as a consumer wires them: Keras Inputs, the output a head takes.

A model of several inputs (a dict `INPUT_SIGNATURE`) takes a dict of them
everywhere: a dict of Keras Inputs, a dict of arrays, a named argument each.
"""

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.input_signature import named
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY


def main_output(outputs):
    """The output a head is stacked on: the only one, or the one under OUTPUT_KEY."""
    return np.asarray(as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY])


def keras_input(keras_module):
    """An Input of the model's signature (without the batch dimension) in `keras_module`.

    A dict of named Inputs for a model of several inputs.
    """
    return tf.nest.map_structure(
        lambda spec: keras_module.Input(spec.shape[1:], dtype=spec.dtype, name=spec.name),
        named(INPUT_SIGNATURE),
    )


def stacked(keras_module, layers):
    """A functional model of `layers` in turn on the model's Input(s).

    Not `Sequential`, which takes one input, not a dict of them.
    """
    inputs = keras_input(keras_module)
    outputs = inputs
    for layer in layers:
        outputs = layer(outputs)
    return keras_module.Model(inputs, outputs)


def input_specs():
    """`{name: spec}` of `serving_default`'s inputs."""
    signature = named(INPUT_SIGNATURE)
    return signature if isinstance(signature, dict) else {signature.name: signature}


def named_inputs(inputs):
    """`{input name: values}`: a dict's entries, or the one input under its name."""
    return inputs if isinstance(INPUT_SIGNATURE, dict) else {INPUT_SIGNATURE.name: inputs}


def by_name(inputs):
    """`serving_default`'s keyword arguments for `inputs`: Tensors by input name."""
    return {name: tf.constant(value) for name, value in named_inputs(inputs).items()}


def first_entry(inputs):
    """(name, values) of the input a test makes wrong: the one, or the first of several by name."""
    name, values = sorted(named_inputs(inputs).items())[0]
    return name, values


def with_entry(inputs, values):
    """`inputs` with `first_entry`'s values replaced by `values`."""
    if not isinstance(INPUT_SIGNATURE, dict):
        return values
    return {**inputs, first_entry(inputs)[0]: values}


def of_another_dtype(name, values):
    """`values` of input `name` in a dtype its signature refuses: numbers for strings, float
    precision swapped for numbers."""
    dtype = input_specs()[name].dtype
    if dtype == tf.string:
        return np.arange(len(values))
    return values.astype("float32" if dtype == tf.float64 else "float64")


def first(inputs, count):
    """The first `count` examples of `inputs` (of each entry of a dict)."""
    return tf.nest.map_structure(lambda values: values[:count], inputs)


def batch_size(inputs):
    """How many examples `inputs` holds."""
    return len(tf.nest.flatten(inputs)[0])
