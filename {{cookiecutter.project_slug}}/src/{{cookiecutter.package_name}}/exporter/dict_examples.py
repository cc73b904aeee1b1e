"""Examples for a dict `INPUT_SIGNATURE`: `model.py`'s own `example_inputs`, or a guess.

Several named inputs (token ids beside a mask, a table's columns) have no
synthetic data of their own: their examples come from `model.py`'s optional
`example_inputs(num_examples, seed=0)`, which only the model can write (a word
id below its vocabulary size, a mask of 0 and 1), or else from a guess most
models accept (`guess`). `data.py` labels them for training
(`labelled_examples`). This module reads `model.py`, never `data.py`, which
imports it; `example_inputs.py` chooses between the two.
"""

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }} import model as model_py
from {{ cookiecutter.package_name }}.exporter.input_signature import check_inputs

# A dimension the signature leaves None (a sequence of any length), in a guess.
ANY_LENGTH = 8
# Guessed integers are below this: an id any vocabulary or embedding has.
SMALL_INTEGERS = 10
WORDS = ("the", "a", "model", "input", "red", "blue", "one", "two")


def user_examples():
    """`model.py`'s `example_inputs`, or None where it defines none."""
    return getattr(model_py, "example_inputs", None)


def given_or_guessed(num_examples, seed=0):
    """`model.py`'s `example_inputs`, checked against `INPUT_SIGNATURE`; else a guess."""
    signature, given = model_py.INPUT_SIGNATURE, user_examples()
    if given is None:
        return guess(signature, num_examples, seed)
    inputs = given(num_examples, seed=seed)
    check_inputs(inputs, signature)
    return inputs


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
    return given_or_guessed(num_examples, seed), labels.astype(np.int32)
