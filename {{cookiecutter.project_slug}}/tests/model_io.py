"""The model's input and output as a consumer wires them: a Keras Input, the output a head takes."""

import numpy as np

from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY


def main_output(outputs):
    """The output a head is stacked on: the only one, or the one under OUTPUT_KEY."""
    return np.asarray(as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY])


def keras_input(keras_module):
    """An Input of the model's signature (without the batch dimension) in `keras_module`."""
    return keras_module.Input(INPUT_SIGNATURE.shape[1:], dtype=INPUT_SIGNATURE.dtype)
