"""The module class traces the user's network once per `training` value, however it is saved,
serves hyperparameter defaults as floats, exports only weight penalties as
`regularization_losses`, and leaves the model's Python (a `Lambda`'s) behind.

Tracing is most of an export's cost for a real-size network (MobileNetV3Small:
about 1.5 s per trace), and each trace is stored in the SavedModel. A stand-in
of the model contract counts the traces: the smallest model there is, with the
input signature of this project's model.
"""

{% if cookiecutter.__builder != "module" -%}
{% if cookiecutter.__builder == "keras3" -%}
import keras
{% endif -%}
import numpy as np
{% endif -%}
import pytest
import tensorflow as tf
{%- if cookiecutter.__builder != "module" %}
from tensorflow.core.protobuf import saved_model_pb2
{%- endif %}
{%- if cookiecutter.__builder == "tf_keras" %}
import tf_keras as keras
{%- endif %}

{% if cookiecutter.__builder != "module" -%}
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
{% endif -%}
from {{ cookiecutter.package_name }}.exporter.input_signature import InputsError
from {{ cookiecutter.package_name }}.exporter.reusable import (
    HyperparametersError,
    ReusableModule,
{%- if cookiecutter.__builder != "module" %}
    activity_regularized,
{%- endif %}
    save_reusable,
)
{%- if cookiecutter.__builder != "module" %}
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
{%- endif %}
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY

from stand_in import StandIn


def zeros_batch(size=2):
    """A batch of this project's inputs (each of several); of size 1 where it takes any size."""
    return tf.nest.map_structure(
        lambda spec: tf.zeros([size, *(dim or 1 for dim in spec.shape[1:])], spec.dtype),
        INPUT_SIGNATURE,
    )


def test_network_is_traced_once_per_training_mode_and_never_by_the_save(tmp_path):
    model = StandIn()
    module = ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY)
    assert sorted(model.modes) == [False, True]
    # tf.saved_model.save traces the signatures under a save context of its own, a
    # different key of tf.function's cache: they must call the two traces, not trace anew.
    save_reusable(module, tmp_path)
    assert sorted(model.modes) == [False, True]
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded(zeros_batch()).shape == [2, 1]


def test_hyperparameter_defaults_are_numbers_and_serve_as_floats():
    # Written as `1`, a default is the float 1.0 consumers may override.
    module = ReusableModule(StandIn(), INPUT_SIGNATURE, OUTPUT_KEY, {"temperature": 1})
    inputs = zeros_batch()
    assert module(inputs).shape == module(inputs, temperature=0.5).shape == [2, 1]
    with pytest.raises(HyperparametersError, match=r"HYPERPARAMETERS\['mode'\] is 'fast'; "):
        ReusableModule(StandIn(), INPUT_SIGNATURE, OUTPUT_KEY, {"mode": "fast"})


def test_nested_named_inputs_are_refused_in_one_line():
    # A serving signature takes one level of named inputs.
    spec = tf.TensorSpec([None, 4], tf.float32)
    nested = {"numbers": spec, "extra": {"more": spec}}
    with pytest.raises(InputsError, match=r"^INPUT_SIGNATURE\['extra'\] is a nested dict, "):
        ReusableModule(StandIn(), nested, OUTPUT_KEY)
{%- if cookiecutter.__builder != "module" %}


def test_activity_regularizers_are_left_out_and_weight_penalties_exported(tmp_path):
    # Keras' `losses` hold both kinds; an activity penalty depends on a call's inputs
    # (in a functional model, a symbolic Tensor of its graph) and has no place in the
    # interface, whose regularization losses take no arguments.
    inputs = keras.Input([3])
    dense = keras.layers.Dense(
        2,
        kernel_regularizer=keras.regularizers.L2(0.1),
        activity_regularizer=keras.regularizers.L2(10.0),
        name="regularized",
    )
    biased = keras.layers.Dense(2, bias_regularizer=keras.regularizers.L1(0.5))
    model = keras.Model(inputs, {"logits": keras.Sequential([biased])(dense(inputs))})
    biased.bias.assign([1.0, -2.0])

    # As the export does: the traced inference call, then the expected losses.
    expected = Expectations.of_model(model, np.ones([2, 3], np.float32), "logits")
    assert len(model.losses) == 3  # Two weight penalties and the traced call's activity penalty.
    module = ReusableModule(model, tf.TensorSpec([None, 3], tf.float32), "logits")
    save_reusable(module, tmp_path)
    report = verify_saved_model(tmp_path, expected)

    kernel = dense.kernel.numpy()
    expected_losses = [0.1 * np.sum(kernel**2), 0.5 * 3.0]  # In any order.
    np.testing.assert_allclose(sorted(report.regularization_losses), sorted(expected_losses))
    assert activity_regularized(model) == ["regularized"]


def test_a_lambda_layer_is_exported_as_ops_and_its_python_is_left_behind(tmp_path):
    # Keras keeps a Lambda's function as Python bytecode in the layer's config, and
    # reviving the layer from it runs that code. The module class captures the model
    # in its traces and does not track it: the export holds the ops the function
    # traced to, and no Keras object (no keras_metadata.pb, no config to revive).
    doubling = keras.layers.Lambda(lambda x: x * 2.0, name="doubling")
    model = keras.Sequential([keras.Input([3]), doubling])
    save_reusable(ReusableModule(model, tf.TensorSpec([None, 3], tf.float32), "doubled"), tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "assets", "fingerprint.pb", "saved_model.pb", "variables",
    ]
    saved = saved_model_pb2.SavedModel.FromString((tmp_path / "saved_model.pb").read_bytes())
    objects = [node.user_object for node in saved.meta_graphs[0].object_graph_def.nodes]
    assert not [o.identifier for o in objects if "keras" in o.identifier or o.metadata]
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_array_equal(loaded(tf.ones([2, 3])), np.full([2, 3], 2.0))
{%- endif %}
