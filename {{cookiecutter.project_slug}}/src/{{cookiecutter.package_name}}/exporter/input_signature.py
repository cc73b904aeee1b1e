"""What `INPUT_SIGNATURE` may be: one `tf.TensorSpec`, or a flat dict of named ones.

The reusable interface takes one input: a Tensor, or a dict of Tensors (BERT
encoders take `{"input_word_ids", "input_mask", "input_type_ids"}`). A serving
signature takes each entry of a dict as a named argument, so a dict is one level
deep and its names are the signature's input names. Checked before anything is
built, traced or trained on it, each refusal naming the entry that is wrong.
"""

import tensorflow as tf


class InputsError(ValueError):
    """The input signature, or inputs given for it, is not what the interface can take."""


def check_input_signature(input_signature):
    """Raises `InputsError` unless `input_signature` is a `tf.TensorSpec` or a flat dict of them."""
    if isinstance(input_signature, tf.TensorSpec):
        return
    if not isinstance(input_signature, dict):
        raise InputsError(
            f"INPUT_SIGNATURE is a {type(input_signature).__name__}: give one tf.TensorSpec or "
            'a dict of named ones ({"name": tf.TensorSpec(...), ...}) in model.py'
        )
    if not input_signature:
        raise InputsError("INPUT_SIGNATURE is an empty dict: give each input a tf.TensorSpec")
    for name, spec in input_signature.items():
        if isinstance(spec, dict):
            raise InputsError(
                f"INPUT_SIGNATURE[{name!r}] is a nested dict, which no serving signature can "
                "take: give one level of named inputs (flatten its entries into INPUT_SIGNATURE)"
            )
        if not isinstance(name, str) or not name.isidentifier():
            raise InputsError(
                f"INPUT_SIGNATURE has the key {name!r}: a serving signature names its inputs "
                "with Python identifiers (letters, digits and _)"
            )
        if not isinstance(spec, tf.TensorSpec):
            raise InputsError(
                f"INPUT_SIGNATURE[{name!r}] is a {type(spec).__name__}, not a tf.TensorSpec"
            )


def named(input_signature):
    """The signature as traced: a dict's specs named by their keys (the serving input names)."""
    if isinstance(input_signature, dict):
        return {name: tf.TensorSpec(spec.shape, spec.dtype, name=name)
                for name, spec in input_signature.items()}
    return input_signature


def check_model_input_names(model, input_signature):
    """Raises `InputsError` when a functional Keras model calls its dict inputs otherwise.

    Keras matches a dict to a functional model's inputs by name; a name it does
    not know is dropped with a warning, and a missing one fails in a traceback.
    """
    if not isinstance(input_signature, dict):
        return
    try:
        structure = model.input  # Functional models only; subclassed ones have none.
    except (AttributeError, ValueError):
        return
    if not isinstance(structure, dict):
        return
    for name in sorted(set(input_signature) ^ set(structure)):
        where = "INPUT_SIGNATURE" if name in input_signature else "the model's inputs"
        raise InputsError(
            f"input {name!r} is in {where} only: the names of INPUT_SIGNATURE must be the "
            f"model's input names ({', '.join(sorted(structure))})"
        )


def check_inputs(inputs, input_signature, what="example_inputs()"):
    """Raises `InputsError` unless `inputs` (NumPy) match `input_signature`, naming the entry."""
    if not isinstance(input_signature, dict):
        _check_entry(inputs, input_signature, what)
        return
    if not isinstance(inputs, dict):
        raise InputsError(f"{what} returned a {type(inputs).__name__}, not a dict of inputs")
    for name in sorted(set(inputs) ^ set(input_signature)):
        state = "missing" if name in input_signature else "not in INPUT_SIGNATURE"
        raise InputsError(f"{what} input {name!r} is {state}")
    for name, spec in input_signature.items():
        _check_entry(inputs[name], spec, f"{what} input {name!r}")


def _check_entry(values, spec, what):
    values = tf.constant(values)
    if values.dtype != spec.dtype:
        raise InputsError(f"{what} is {values.dtype.name}, INPUT_SIGNATURE says {spec.dtype.name}")
    if not spec.shape.is_compatible_with(values.shape):
        raise InputsError(
            f"{what} has shape {values.shape.as_list()}, INPUT_SIGNATURE says "
            f"{spec.shape.as_list()}"
        )


def call_signature(signature, inputs):
    """Calls a loaded serving signature on NumPy `inputs`: a dict's entries by name."""
    if isinstance(inputs, dict):
        return signature(**{name: tf.constant(value) for name, value in inputs.items()})
    return signature(tf.constant(inputs))  # Its one input, whatever it is called.


def describe_inputs(inputs):
    """`float32[4, 64, 64, 3]`, or `ids: int32[4, 20], mask: int32[4, 20]` for a dict."""
    if isinstance(inputs, dict):
        entries = sorted(inputs.items())
        return ", ".join(f"{name}: {describe_inputs(value)}" for name, value in entries)
    return f"{inputs.dtype}{list(inputs.shape)}"
