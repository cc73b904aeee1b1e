"""Example inputs: what `train`, `export`, the verifier, `bench` and the tests feed the model.

One way for all of them (`example_inputs`):

- `model.py` may define `example_inputs(num_examples, seed=0)`, returning
  inputs as `INPUT_SIGNATURE` describes them (a dict of NumPy arrays for a dict
  signature): only the model knows that a word id is below its vocabulary size
  or that a mask is 0 or 1;
- else, for one `tf.TensorSpec`, `data.synthetic_examples`' inputs, as before;
- else (a dict) a guess that most models accept (`dict_examples.guess`): floats
  in [0, 1], small non-negative integers, short lower-case words, booleans.

A guess the model fails on is refused in one line that says how to give
examples (`check_accepted`), not in the model's traceback.
"""

import tensorflow as tf

from {{ cookiecutter.package_name }} import data
from {{ cookiecutter.package_name }} import model as model_py
from {{ cookiecutter.package_name }}.exporter.dict_examples import (
    given_or_guessed,
    user_examples,
)
from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.input_signature import InputsError

HOW_TO_GIVE = (
    "define example_inputs(num_examples, seed=0) in model.py, returning a dict of NumPy "
    "arrays, one per INPUT_SIGNATURE entry, of values the model accepts"
)


def example_inputs(num_examples, seed=0):
    """`num_examples` inputs matching `INPUT_SIGNATURE`, the same for the same seed."""
    if user_examples() is None and not isinstance(model_py.INPUT_SIGNATURE, dict):
        return data.synthetic_examples(num_examples, seed=seed)[0]
    return given_or_guessed(num_examples, seed)


def check_accepted(model, inputs):
    """Raises `InputsError` if `model` fails on guessed `inputs` (a user's own fail as they fail).

    A guess cannot know an id's upper bound or a mask's values: the model's
    error (an embedding's index out of range, say) then means "give examples".
    """
    if user_examples() is not None or not isinstance(model_py.INPUT_SIGNATURE, dict):
        return
    try:
        model(tf.nest.map_structure(lambda values: tf.constant(values[:2]), inputs),
              training=False)
    except Exception as error:  # Whatever the model raises on values it does not take.
        raise InputsError(
            f"the model fails on guessed example inputs ({first_line(error, limit=120)}): "
            f"{HOW_TO_GIVE}"
        ) from None
