"""Round trip: the exported SavedModel works for each consumer, as the source model does.

One section per consumer: tf.saved_model.load / hub.load, hub.KerasLayer in
tf_keras, Keras 3's TFSMLayer, the serving_default signature through the real
saved_model_cli, and TFLite.
"""

from pathlib import Path
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from {{ cookiecutter.package_name }}.model import DROPOUT_RATE, INPUT_SIGNATURE, OUTPUT_KEY
from {{ cookiecutter.package_name }}.verify import inference_outputs

SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")


@pytest.fixture(scope="module")
def loaded(export_dir):
    return tf.saved_model.load(str(export_dir))


def variable_values(variables):
    return [variable.numpy().copy() for variable in variables]


def changed(before, variables):
    pairs = zip(before, variables, strict=True)
    return [not np.array_equal(old, new.numpy()) for old, new in pairs]


# --- tf.saved_model.load / hub.load -------------------------------------------------------------


@pytest.mark.parametrize("load", [tf.saved_model.load, hub.load], ids=["saved_model", "hub"])
@pytest.mark.parametrize("batch_size", [1, 8])
def test_inference_equals_source_model_exactly(load, batch_size, export_dir, source_model, images):
    obj = load(str(export_dir))
    batch = images[:batch_size]
    np.testing.assert_array_equal(obj(batch).numpy(), inference_outputs(source_model, batch))
    np.testing.assert_array_equal(
        obj(batch, training=False).numpy(), inference_outputs(source_model, batch)
    )


def test_inference_is_deterministic_and_training_mode_uses_dropout(export_dir, images):
    # A fresh load: training-mode calls update the batch-norm statistics of the loaded object.
    obj = tf.saved_model.load(str(export_dir))
    np.testing.assert_array_equal(obj(images).numpy(), obj(images).numpy())
    inference = obj(images).numpy()
    first = obj(images, training=True).numpy()
    second = obj(images, training=True).numpy()
    assert first.shape == inference.shape
    assert not np.array_equal(first, second), "dropout should make training calls differ"


def test_variables_match_the_source_model(loaded, source_model):
    assert len(loaded.variables) == len(source_model.variables)
    assert len(loaded.trainable_variables) == len(source_model.trainable_variables)
    all_refs = {variable.ref() for variable in loaded.variables}
    assert all(variable.ref() in all_refs for variable in loaded.trainable_variables)
    pairs = zip(loaded.trainable_variables, source_model.trainable_variables, strict=True)
    for exported, source in pairs:
        np.testing.assert_array_equal(exported.numpy(), source.numpy())


def test_regularization_losses_are_the_source_weight_penalties(loaded, source_model):
    values = [function() for function in loaded.regularization_losses]
    assert values, "the example model has L2 weight regularizers"
    assert all(value.shape.rank == 0 for value in values)
    np.testing.assert_allclose(
        [float(value) for value in values], [float(loss) for loss in source_model.losses], rtol=1e-6
    )


def test_export_holds_no_optimizer_state(export_dir):
    checkpoint = str(export_dir / "variables" / "variables")
    names = [name for name, _ in tf.train.list_variables(checkpoint)]
    assert names, "the SavedModel has no variables"
    leaked = [name for name in names if "optimizer" in name or "training_model" in name]
    assert not leaked, f"training state in the export: {leaked}"


# --- hub.KerasLayer in tf_keras -----------------------------------------------------------------


def keras_layer_model(export_dir, trainable):
    """A tf_keras classifier on top of the SavedModel, as a fine-tuning consumer builds it."""
    layer = hub.KerasLayer(str(export_dir), trainable=trainable)
    model = tf_keras.Sequential([
        tf_keras.Input(INPUT_SIGNATURE.shape[1:]),
        layer,
        tf_keras.layers.Dense(3),
    ])
    model.compile(
        optimizer=tf_keras.optimizers.SGD(0.1),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, layer


def test_keras_layer_has_the_source_weights_and_losses(export_dir, source_model, images):
    model, layer = keras_layer_model(export_dir, trainable=True)
    assert len(layer.trainable_weights) == len(source_model.trainable_variables)
    assert len(layer.weights) == len(source_model.variables)
    for weight, source in zip(
        layer.trainable_weights, source_model.trainable_variables, strict=True
    ):
        np.testing.assert_array_equal(weight.numpy(), source.numpy())
    np.testing.assert_allclose(
        [float(loss) for loss in layer.losses],
        [float(loss) for loss in source_model.losses],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        layer(images).numpy(), inference_outputs(source_model, images)
    )


def test_keras_layer_fine_tuning_step_changes_weights(export_dir, dataset):
    images, labels = dataset
    model, layer = keras_layer_model(export_dir, trainable=True)
    trainable_before = variable_values(layer.trainable_weights)
    frozen = [weight for weight in layer.weights if not weight.trainable]
    frozen_before = variable_values(frozen)
    model.fit(images, labels % 3, epochs=1, batch_size=16, verbose=0)
    assert all(changed(trainable_before, layer.trainable_weights)), "every weight should train"
    # Batch norm moving statistics move in training mode although nothing trains them.
    assert any(changed(frozen_before, frozen)), "batch norm statistics should update"


def test_keras_layer_frozen_means_frozen(export_dir, dataset):
    images, labels = dataset
    model, layer = keras_layer_model(export_dir, trainable=False)
    assert layer.trainable_weights == []
    before = variable_values(layer.weights)
    model.fit(images, labels % 3, epochs=1, batch_size=16, verbose=0)
    assert not any(changed(before, layer.weights)), "a frozen layer changed, batch norm included"


# --- serving_default signature ------------------------------------------------------------------


def test_serving_signature_matches_source_model(loaded, source_model, images):
    signature = loaded.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert spec.dtype == INPUT_SIGNATURE.dtype
    assert spec.shape.as_list() == INPUT_SIGNATURE.shape.as_list()
    assert spec.shape[0] is None, "the batch dimension must stay undefined"
    outputs = signature(tf.constant(images))
    assert list(outputs) == [OUTPUT_KEY]
    np.testing.assert_array_equal(
        outputs[OUTPUT_KEY].numpy(), inference_outputs(source_model, images)
    )


def test_saved_model_cli_shows_the_signature(export_dir):
    shown = subprocess.run(
        [str(SAVED_MODEL_CLI), "show", "--dir", str(export_dir), "--all"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "signature_def['serving_default']" in shown
    height, width, channels = INPUT_SIGNATURE.shape[1:]
    shape = f"shape: (-1, {height}, {width}, {channels})"
    assert f"inputs['images'] tensor_info:\n        dtype: DT_FLOAT\n        {shape}" in shown
    assert f"outputs['{OUTPUT_KEY}'] tensor_info:" in shown


def test_saved_model_cli_run_matches_source_model(export_dir, source_model, images, tmp_path):
    np.save(tmp_path / "images.npy", images)
    subprocess.run(
        [str(SAVED_MODEL_CLI), "run", "--dir", str(export_dir), "--tag_set", "serve",
         "--signature_def", "serving_default", "--inputs", f"images={tmp_path / 'images.npy'}",
         "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True, check=True,
    )
    outputs = np.load(tmp_path / "out" / f"{OUTPUT_KEY}.npy")
    np.testing.assert_array_equal(outputs, inference_outputs(source_model, images))


# --- keras.layers.TFSMLayer in Keras 3 ----------------------------------------------------------


def tfsm_layer(export_dir):
    return keras.layers.TFSMLayer(
        str(export_dir), call_endpoint="serve", call_training_endpoint="serve_training"
    )


def test_tfsm_layer_matches_source_model(export_dir, source_model, images):
    outputs = tfsm_layer(export_dir)(images)[OUTPUT_KEY]
    np.testing.assert_array_equal(outputs.numpy(), inference_outputs(source_model, images))


def test_tfsm_layer_training_step_changes_its_output(export_dir, dataset):
    images, labels = dataset
    layer = tfsm_layer(export_dir)
    inputs = keras.Input(INPUT_SIGNATURE.shape[1:])
    model = keras.Model(inputs, keras.layers.Dense(3)(layer(inputs)[OUTPUT_KEY]))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert len(layer.trainable_weights) > 0
    before = layer(images)[OUTPUT_KEY].numpy()
    model.fit(images, labels % 3, epochs=1, batch_size=16, verbose=0)
    after = layer(images)[OUTPUT_KEY].numpy()
    assert not np.allclose(before, after), "training through TFSMLayer left its output unchanged"


# --- TFLite -------------------------------------------------------------------------------------


def test_tflite_conversion_matches_source_model(export_dir, source_model, images):
    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=["serving_default"]
    )
    interpreter = tf.lite.Interpreter(model_content=converter.convert())
    run = interpreter.get_signature_runner("serving_default")
    outputs = run(images=images)[OUTPUT_KEY]
    assert np.isfinite(outputs).all()
    np.testing.assert_allclose(outputs, inference_outputs(source_model, images), rtol=0, atol=1e-5)


# --- Hyperparameters consumers can set ----------------------------------------------------------


def test_every_argument_combination_is_traced(loaded):
    functions = loaded.__call__.concrete_functions
    signatures = [function.structured_input_signature for function in functions]
    traced = {(args[1], tuple(sorted(kwargs))) for args, kwargs in signatures}
    given = ("dropout_rate",)
    assert traced == {(False, ()), (True, ()), (False, given), (True, given)}


def dropout_noise(layer, images, reference, calls=12):
    """Mean distance of training-mode outputs from `reference`, the output without dropout."""
    return np.mean([
        np.abs(layer(images, training=True).numpy() - reference).mean() for _ in range(calls)
    ])


def test_dropout_rate_argument_changes_training_behaviour(export_dir, images):
    def layer(**arguments):
        return hub.KerasLayer(str(export_dir), trainable=True, arguments=arguments or None)

    # Without dropout, training mode is deterministic (batch statistics only).
    no_dropout = layer(dropout_rate=0.0)
    reference = no_dropout(images, training=True).numpy()
    np.testing.assert_array_equal(no_dropout(images, training=True).numpy(), reference)
    default = dropout_noise(layer(), images, reference)
    trained_rate = dropout_noise(layer(dropout_rate=DROPOUT_RATE), images, reference)
    heavy = dropout_noise(layer(dropout_rate=0.7), images, reference)
    assert 0 < default < heavy
    # The default is the rate the model was trained with.
    assert abs(default - trained_rate) < 0.25 * (heavy - trained_rate)
