"""The traces a `ReusableModule` (`reusable.py`) is made of, and what they capture.

The network is traced once per `training` value, with every hyperparameter a
Tensor (`trace_network`). Every public function of the module is a thin call
into one of these two traces (`forward`), so the SavedModel stores the network
twice, not once per function. What the traces capture decides what else the
module must track to save them: the lookup tables they read
(`captured_resources`) and variables the model does not list
(`unlisted_variables`).
"""

import itertools

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.checkpoint import trackables


def hyperparameter_specs(defaults):
    """`{name: float32 scalar spec}` of the hyperparameters with these `defaults`."""
    return {name: tf.TensorSpec([], tf.float32, name=name) for name in defaults}


def trace_network(model, input_signature, defaults):
    """`{training: concrete function}` of `model`, every hyperparameter in `defaults` a Tensor."""

    @tf.function
    def network(inputs, training, **values):
        return model(inputs, training=training, **values)

    specs = hyperparameter_specs(defaults)
    return {
        training: network.get_concrete_function(input_signature, training, **specs)
        for training in (False, True)
    }


def forward(traced, defaults):
    """`forward(inputs, training, values)` calls the trace for `training`.

    Hyperparameters not in `values` are passed at their `defaults`.
    """

    def call_trace(inputs, training, values):
        # The concrete function itself, not `network`: tf.saved_model.save traces
        # the signatures under its own save context, a different key of
        # tf.function's cache, so a call of `network` would trace the whole
        # network again there (twice per export, half its time for MobileNet).
        values = {name: values.get(name, tf.constant(value)) for name, value in defaults.items()}
        return traced[training](inputs, training, **values)

    return call_trace


def call_function(traced, input_signature, defaults):
    """The module's `__call__`, traced for each `training` and each set of hyperparameters given."""
    into_trace = forward(traced, defaults)

    @tf.function
    def call(inputs, training=False, **values):
        unknown = sorted(set(values) - set(defaults))
        if unknown:
            raise TypeError(f"unknown hyperparameters {unknown}; known: {sorted(defaults)}")
        return into_trace(inputs, training, values)

    specs = hyperparameter_specs(defaults)
    for training in (False, True):
        for count in range(len(specs) + 1):
            for names in itertools.combinations(specs, count):
                given = {name: specs[name] for name in names}
                call.get_concrete_function(input_signature, training, **given)
    return call


def captured_resources(model, traced):
    """The lookup tables of `model` that the traces read.

    The traces capture them; tracked by the module, they are saved, and the
    vocabulary files that initialize them become assets. Only those: an adapted
    Keras lookup layer also keeps the word counts of `adapt` in a table that no
    call reads (and whose ops a server need not run).
    """
    captured = {id(value) for function in traced.values() for value in function.captured_inputs}
    return [
        trackable for trackable in trackables(model)
        if isinstance(trackable, tf.saved_model.experimental.TrackableResource)
        and id(trackable.resource_handle) in captured
    ]


def unlisted_variables(traced, listed_variables):
    """Variables the traces read that are not among `listed_variables` (the model's).

    No checkpoint of the model holds them: the tf.random.Generator state of
    tf_keras's random layers (RandomFlip, RandomRotation, ...). Tracked by the
    module, they are saved with the traces that read them; not weights, so not
    in `variables`. In the order the traces capture them: the same in every export.
    """
    listed = {id(variable.handle) for variable in listed_variables}
    read = {id(v.handle): v for function in traced.values() for v in function.variables}
    unlisted = {
        id(value): read[id(value)]
        for function in traced.values() for value in function.captured_inputs
        if id(value) in read and id(value) not in listed
    }
    return list(unlisted.values())
