"""The reusable-SavedModel module class: the object `export_lib.py` saves.

`ReusableModule` implements TensorFlow Hub's "Reusable SavedModels" interface
around any model that

- is callable as `model(inputs, training=..., **hyperparameters)` with a Python
  bool `training` and float hyperparameters that may also be Tensors, and
  returns a Tensor or a dict of Tensors,
- has `variables` and `trainable_variables`,
- may have weight penalties, recomputed from the current variable values on
  every access: Keras weight regularizers, or a `tf.Module`'s `losses` (the
  low-level example computes them by hand); see `weight_penalties`.

Why a hand-written `tf.train.Checkpoint` rather than Keras' own saving: with
TensorFlow 2.21, `tf.keras` is Keras 3, whose `model.save` and `model.export`
write no `__call__`, no `training` argument and no `regularization_losses`, so
`hub.KerasLayer` cannot fine-tune the result. Why not `tf.Module`: its
`variables` property cannot be assigned.

After `obj = tf.saved_model.load(path)`:

- `obj(inputs, training=False, **hyperparameters)` returns the model output;
  `inputs` is one Tensor, or a dict of them when the model takes several;
  every combination of `training` and given hyperparameters is traced, for
  any batch size;
- `obj.variables` and `obj.trainable_variables` (a subset) list the weights;
- `obj.regularization_losses` are zero-argument functions returning scalars;
- `obj.serve(inputs)` and the `serving_default` signature return
  `{output_key: output}`, or the model's own dict, in inference mode (TF
  Serving, TFLite, Keras 3's `TFSMLayer(call_endpoint="serve")`), and
  `obj.serve_training(inputs)` in training mode
  (`TFSMLayer(call_training_endpoint="serve_training")`); `serving_default`
  takes each entry of a dict input as a named argument.

Lookup tables the network reads (a vocabulary, say) are saved with it, and the
files they are initialized from are copied into the SavedModel's `assets/`.

Activity regularizers and `add_loss` terms depend on the inputs of one call,
not on the weights alone; the interface has no place for them and they are not
exported (the export report names the layers whose activity regularizer is
left out).
"""

import functools
import numbers

import keras
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import traces
from {{ cookiecutter.package_name }}.exporter.checkpoint import layers
from {{ cookiecutter.package_name }}.exporter.input_signature import (
    check_input_signature,
    check_model_input_names,
    named,
)
from {{ cookiecutter.package_name }}.exporter.variable_names import distinct_names


class OutputsError(ValueError):
    """The model returns what a serving signature cannot: neither a Tensor nor a dict of them."""


class HyperparametersError(ValueError):
    """A hyperparameter's default is not a number, which consumers could set as a float."""


class ReusableModule(tf.train.Checkpoint):
    """Wraps a trained model in the reusable SavedModel interface."""

    def __init__(self, model, input_signature, output_key, hyperparameters=None):
        """Traces every function the interface promises.

        Args:
          model: the trained model (see the module docstring for the contract).
          input_signature: a `tf.TensorSpec` of one input batch, or a flat dict
            of them (`input_signature.py`); batch dimensions should be `None` so
            that consumers can use any batch size.
          output_key: the name of the output in the serving signature, when the
            model returns a single Tensor.
          hyperparameters: `{name: default}` of float keyword arguments of the
            model's call that consumers may set; the defaults should be the
            values the model was trained with.
        """
        check_input_signature(input_signature)
        check_model_input_names(model, input_signature)
        input_signature = named(input_signature)
        super().__init__()
        # The model is captured by the functions, not tracked as an attribute: a
        # tracked Keras 3 model saves a second, restore-only copy of each variable,
        # and TFLite then converts the uninitialized copies (NaN outputs).
        self.variables = [tf_variable(v) for v in model.variables]
        self.trainable_variables = [tf_variable(v) for v in model.trainable_variables]
        self.regularization_losses = [
            _regularization_loss(model, index) for index in range(len(weight_penalties(model)))
        ]
        defaults = _float_defaults(hyperparameters or {})
        # Every function below is a thin call into these two traces (`traces.py`).
        traced = traces.trace_network(model, input_signature, defaults)
        check_outputs(traced[False].structured_outputs)
        self.resources = traces.captured_resources(model, traced)
        self.unlisted_variables = traces.unlisted_variables(traced, self.variables)
        self.__call__ = traces.call_function(traced, input_signature, defaults)
        serve = functools.partial(_serving_function, traced, defaults, input_signature, output_key)
        self.serve = serve(training=False)
        self.serve_training = serve(training=True)

    def __call__(self, inputs, training=False, **hyperparameters):
        """In memory, calls the traced `__call__` function that the SavedModel stores."""
        return self.__dict__["__call__"](inputs, training, **hyperparameters)


def _serving_function(traced, defaults, input_signature, output_key, training):
    """`serve` (or `serve_training`): `{output_key: output}` or the model's dict, at defaults."""
    into_trace = traces.forward(traced, defaults)

    def serve(inputs):
        # Signatures check the dtype but not the shape of their inputs.
        inputs = tf.nest.map_structure(
            lambda tensor, spec: tf.ensure_shape(tensor, spec.shape), inputs, input_signature
        )
        return as_dict(into_trace(inputs, training, {}), output_key)

    return tf.function(serve, input_signature=[input_signature])


def _float_defaults(hyperparameters):
    """`{name: default}` as floats: consumers pass float32 scalars, `1` means `1.0`."""
    for name, value in hyperparameters.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise HyperparametersError(
                f"HYPERPARAMETERS[{name!r}] is {value!r}; a hyperparameter consumers set is a "
                "float: give its default as a number (other settings belong in build_model())"
            )
    return {name: float(value) for name, value in hyperparameters.items()}


def check_outputs(outputs):
    """Raises `OutputsError` unless `outputs` is a Tensor or a dict of Tensors.

    A signature's outputs are named: a list or tuple (a functional Keras model
    built with a list of outputs) has no names to serve them under. `train.py`
    asks the same of what it trains, which takes its loss on one named output.
    """
    tensors = outputs.values() if isinstance(outputs, dict) else [outputs]
    if not all(isinstance(tensor, tf.Tensor) for tensor in tensors):
        kind = "dict of nested values" if isinstance(outputs, dict) else type(outputs).__name__
        raise OutputsError(
            f"the model returns a {kind}; return one Tensor or a dict of named Tensors "
            '(a functional Keras model: keras.Model(inputs, {"logits": ..., ...}))'
        )


def save_reusable(module, path):
    """Saves a `ReusableModule` at `path`, its `serve` as the `serving_default` signature.

    That signature is what TF Serving, saved_model_cli and TFLite call.
    """
    with distinct_names(module.variables):
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})


def as_dict(outputs, output_key):
    """Outputs as the signatures return them: a dict as is, a single Tensor under `output_key`."""
    return outputs if isinstance(outputs, dict) else {output_key: outputs}


def weight_penalties(model):
    """The model's weight-regularization losses: computed from its weights alone.

    What `regularization_losses` exports. Keras' `losses` also hold each layer's
    activity-regularizer and `add_loss` terms of the last call, which depend on
    its inputs (in a functional model, symbolic Tensors of the graph it was
    built from), so for Keras models the weight penalties are taken apart:

    - Keras 3: each trainable weight's `regularizer` applied to it, as Keras'
      own `Layer._get_regularization_losses` does;
    - tf_keras: each layer's zero-argument losses, where `add_weight` puts a
      weight's regularizer (`add_loss` of a callable puts one there too);
    - any other model (a `tf.Module`): its `losses`, none without that attribute.
    """
    if isinstance(model, keras.Layer):
        return [w.regularizer(w) for w in model.trainable_weights if w.regularizer is not None]
    if hasattr(model, "_callable_losses"):
        callables = (getattr(layer, "_callable_losses", []) for layer in layers(model))
        return [loss() for losses in callables for loss in losses]
    return list(getattr(model, "losses", []))


def activity_regularized(model):
    """Names of the model's layers with an activity regularizer, which the export leaves out."""
    return sorted({
        layer.name for layer in layers(model)
        if getattr(layer, "activity_regularizer", None) is not None
    })


def tf_variable(variable):
    """The `tf.Variable` behind a Keras 3 variable (tf_keras and tf.Module use them directly)."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def _regularization_loss(model, index):
    """A zero-argument function computing the model's `index`-th weight penalty."""
    return tf.function(lambda: weight_penalties(model)[index], input_signature=[])
