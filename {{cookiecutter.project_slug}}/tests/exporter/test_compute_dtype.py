"""`export --compute_dtype=float32`: a mixed-precision model's weights, exported computing in
float32, which TFLite's builtins run; its 16-bit export needs Select TF ops instead."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from {{ cookiecutter.package_name }}.exporter import export_lib, report
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.exporter.compute_dtype import (
    ComputeDtypeError,
    build_computing_in,
    half_precision_layers,
)
from {{ cookiecutter.package_name }}.exporter.errors import ExportError
from {{ cookiecutter.package_name }}.exporter.export_lib import export_saved_model
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model


class MixedStandIn(tf.Module):
    """The stand-in's contract (any input batch, or dict of them), computed by a bfloat16 Dense."""

    def __init__(self, policy="mixed_bfloat16"):
        super().__init__()
        self.dense = keras.layers.Dense(2, dtype=policy)
        self.dense.build((None, 3))

    def __call__(self, inputs, training=False, **hyperparameters):
        del training, hyperparameters  # Unused.
        batch = tf.nest.flatten(inputs)[0]  # The first input of several (a dict) will do.
        ones = tf.ones([tf.shape(batch)[0], 3])
        return tf.cast(self.dense(ones), tf.float32)


class OtherInFloat32(MixedStandIn):
    """Computes something else in float32 than in 16 bits: what the export's comparison catches."""

    def __call__(self, inputs, training=False, **hyperparameters):
        outputs = super().__call__(inputs, training, **hyperparameters)
        return outputs + (1.0 if self.dense.compute_dtype == "float32" else 0.0)


@pytest.fixture
def mixed_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(export_lib, "build_model", MixedStandIn)
    model = MixedStandIn()
    model.dense.kernel.assign(tf.random.stateless_uniform([3, 2], seed=[1, 2]))
    return model, model_checkpoint(model=model).save(str(tmp_path / "mixed" / "ckpt"))


def test_float32_export_of_a_mixed_model_runs_on_tflite_builtins(
    mixed_checkpoint, inputs, tmp_path
):
    model, checkpoint = mixed_checkpoint
    with pytest.raises(ExportError) as refused:
        export_saved_model(
            checkpoint, tmp_path / "as_trained", tflite=True, verify=verify_saved_model
        )
    message = str(refused.value)
    assert "TFLite's builtin ops cannot run " in message and "MatMul" in message, message
    assert message.endswith("--compute_dtype=float32 exports it in float32")
    exported = export_saved_model(
        checkpoint, tmp_path / "float32", tflite=True, compute_dtype="float32",
        verify=verify_saved_model,
    )
    assert exported.tflite.max_difference <= exported.tflite.bound
    assert not half_precision_layers(exported.model)
    # Compared with the model as trained, restored alike, on the example inputs.
    rebuilt = exported.rebuilt
    assert rebuilt.trained_in == "bfloat16" and 0 < rebuilt.difference <= rebuilt.bound
    assert report.read(str(exported))["computes in"] == rebuilt.field()
    # The same weights: the export computes what the mixed model does, up to bfloat16's rounding.
    outputs = tf.saved_model.load(str(tmp_path / "float32"))(inputs)
    expected = model(inputs).numpy()
    np.testing.assert_allclose(outputs.numpy(), expected, rtol=2e-2, atol=1e-2)


def test_a_rebuild_that_computes_otherwise_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(export_lib, "build_model", OtherInFloat32)
    checkpoint = model_checkpoint(model=OtherInFloat32()).save(str(tmp_path / "run" / "ckpt"))
    with pytest.raises(ExportError) as refused:
        export_saved_model(
            checkpoint, tmp_path / "export", compute_dtype="float32", verify=verify_saved_model
        )
    assert re.fullmatch(
        r"--compute_dtype=float32: the float32 rebuild's outputs lie [\d.]+ from the bfloat16 "
        r"model's \(bound [\d.]+\), beyond rounding: a layer computes otherwise in float32; "
        r"export without the flag", str(refused.value),
    ), refused.value
    assert not (tmp_path / "export").exists()


def test_a_global_mixed_policy_is_replaced_and_lookups_keep_their_dtype():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        def build_model():  # As a model.py that sets the policy at import builds.
            module = tf.Module()
            module.dense = keras.layers.Dense(2)
            module.lookup = keras.layers.StringLookup(vocabulary=["a", "b"])
            return module

        as_written = build_computing_in(build_model, None)
        model = build_computing_in(build_model, "float32")
        assert keras.config.dtype_policy().name == "mixed_float16"  # Restored after the build.
    finally:
        keras.config.set_dtype_policy(previous)
    assert half_precision_layers(as_written) == [as_written.dense]
    assert model.dense.compute_dtype == "float32" and not half_precision_layers(model)
    assert model.lookup.compute_dtype == as_written.lookup.compute_dtype


def test_a_tf_keras_layer_with_its_own_policy_is_refused_in_one_line():
    def build_model():
        module = tf.Module()
        module.dense = tf_keras.layers.Dense(2, dtype="mixed_float16", name="head")
        return module

    with pytest.raises(ComputeDtypeError) as refused:
        build_computing_in(build_model, "float32")
    assert str(refused.value) == (
        "--compute_dtype=float32: tf_keras layers set their own dtype policy "
        "(head (mixed_float16)); set it in one place, with "
        "tf_keras.mixed_precision.set_global_policy, before build_model()"
    )
