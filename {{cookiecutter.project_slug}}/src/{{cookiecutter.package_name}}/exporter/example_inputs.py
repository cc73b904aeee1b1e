"""Example inputs: what `train`, `export`, the verifier, `bench` and the tests feed the model.

One way for all of them (`example_inputs`):

- `model.py` may define `example_inputs(num_examples, seed=0)`, returning
  inputs as `INPUT_SIGNATURE` describes them (a dict of NumPy arrays for a dict
  signature): only the model knows that a word id is below its vocabulary size
  or that a mask is 0 or 1;
- else, for one `tf.TensorSpec`, `data.synthetic_examples`' inputs, as before;
- else (a dict) a guess that most models accept (`guess`): floats in [0, 1],
  small non-negative integers, short lower-case words, booleans.

A guess the model fails on is refused in one line that says how to give
examples (`check_accepted`), not in the model's traceback.
"""

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }} import model as model_py
from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.input_signature import (
    InputsError,
    check_inputs,
)

# A dimension the signature leaves None (a sequence of any length), in a guess.
ANY_LENGTH = 8
# Guessed integers are below this: an id any vocabulary or embedding has.
SMALL_INTEGERS = 10
WORDS = ("the", "a", "model", "input", "red", "blue", "one", "two")
HOW_TO_GIVE = (
    "define example_inputs(num_examples, seed=0) in model.py, returning a dict of NumPy "
    "arrays, one per INPUT_SIGNATURE entry, of values the model accepts"
)


def user_examples():
    """`model.py`'s `example_inputs`, or None where it defines none."""
    return getattr(model_py, "example_inputs", None)


def example_inputs(num_examples, seed=0):
    """`num_examples` inputs matching `INPUT_SIGNATURE`, the same for the same seed."""
    signature = model_py.INPUT_SIGNATURE
    given = user_examples()
    if given is not None:
        inputs = given(num_examples, seed=seed)
        check_inputs(inputs, signature)
        return inputs
    if not isinstance(signature, dict):
        # Imported here: data.py imports this module (for a dict's labelled examples).
        from {{ cookiecutter.package_name }} import data

        return data.synthetic_examples(num_examples, seed=seed)[0]
    return guess(signature, num_examples, seed)


def guess(input_signature, num_examples, seed=0):
    """`{name: array}` of plausible values for each entry of a dict signature."""
    rng = np.random.default_rng(seed)
    return {name: _guess_entry(spec, num_examples, rng)
            for name, spec in sorted(input_signature.items())}


def _guess_entry(spec, num_examples, rng):
    shape = [num_examples, *(size or ANY_LENGTH for size in spec.shape[1:])]
    dtype = spec.dtype
    if dtype == tf.string:
        return rng.choice(np.array(WORDS, dtype=bytes), size=shape)
    if dtype == tf.bool:
        return rng.integers(2, size=shape).astype(bool)
    if dtype.is_integer:
        high = min(SMALL_INTEGERS, dtype.max + 1)
        return rng.integers(high, size=shape).astype(dtype.as_numpy_dtype)
    return rng.uniform(size=shape).astype(dtype.as_numpy_dtype)


def labelled_examples(num_classes, num_examples, seed=0):
    """(example inputs, integer labels below `num_classes`): `data.py`'s answer for a dict."""
    labels = np.random.default_rng(seed).integers(num_classes, size=num_examples)
    return example_inputs(num_examples, seed=seed), labels.astype(np.int32)


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
