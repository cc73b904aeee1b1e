"""Round trip through Keras: `hub.KerasLayer` in tf_keras, `TFSMLayer` in Keras 3.

Each is built as a fine-tuning consumer builds it: the export under a new head.
"""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
    same_values,
)
from {{ cookiecutter.package_name }}.exporter.reusable import weight_penalties
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from consumer_defaults import keras_defaults
from model_io import keras_input, main_output, stacked
from training_state import as_keras_layer_lists, changed, variable_values


def classifier_head(layers):
    """Layers of a 3-class head for an output of any rank: `[batch, features]`, a sequence,
    a feature map. Dense on the last axis, averaged over the others."""
    return [layers.Dense(3), layers.Reshape((-1, 3)), layers.GlobalAveragePooling1D()]


def keras_layer_model(export_dir, trainable, output_key):
    """A tf_keras classifier on top of the SavedModel, as a fine-tuning consumer builds it."""
    with keras_defaults():
        layer = hub.KerasLayer(str(export_dir), trainable=trainable, output_key=output_key)
        model = stacked(tf_keras, [layer, *classifier_head(tf_keras.layers)])
    model.compile(
        optimizer=tf_keras.optimizers.SGD(0.1),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, layer


def test_keras_layer_has_the_source_weights_and_losses(
    export_dir, source_model, inputs, keras_layer_output_key
):
    model, layer = keras_layer_model(export_dir, trainable=True, output_key=keras_layer_output_key)
    assert len(layer.trainable_weights) == len(source_model.trainable_variables)
    assert len(layer.weights) == len(source_model.variables)
    for weight, source in zip(
        layer.trainable_weights, source_model.trainable_variables, strict=True
    ):
        np.testing.assert_array_equal(weight.numpy(), source.numpy())
    np.testing.assert_allclose(
        [float(loss) for loss in layer.losses],
        [float(loss) for loss in weight_penalties(source_model)],
        rtol=1e-6,
    )
    assert same_values(layer(inputs).numpy(), main_output(inference_outputs(source_model, inputs)))


def test_keras_layer_model_saves_and_loads_its_weights_as_hdf5(
    export_dir, keras_layer_output_key, tmp_path
):
    # tf_keras' HDF5 format stores a layer's weights under their names: the export's
    # variables need distinct ones (exporter/variable_names.py), or the save is refused.
    model, layer = keras_layer_model(export_dir, trainable=True, output_key=keras_layer_output_key)
    assert len({weight.name for weight in layer.weights}) == len(layer.weights), (
        "the export's variables share names: tf_keras cannot save them as HDF5"
    )
    model.set_weights([weight + 1 for weight in model.get_weights()])  # As fine-tuning would.
    model.save_weights(tmp_path / "fine_tuned.h5")
    reloaded, _ = keras_layer_model(export_dir, trainable=True, output_key=keras_layer_output_key)
    reloaded.load_weights(tmp_path / "fine_tuned.h5")
    for weight, saved in zip(reloaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(weight, saved)


# Fine-tuning through hub.KerasLayer: the model doc's example, run as written and checked
# for what it trains in test_model_doc.py.


def inference_moves(model, inputs):
    """Which variables an inference call changes, listed as a frozen hub.KerasLayer lists them.

    None, for most models. Keras 3's recurrent layers draw their dropout masks on
    every call, inference too, so a call moves their random-number state
    (keras.src.layers.rnn.RNN._maybe_config_dropout_masks); outputs do not change.
    """
    trainable, frozen = as_keras_layer_lists(model)
    ordered = trainable + frozen
    before = variable_values(ordered)
    model(inputs, training=False)
    return changed(before, ordered)


def test_keras_layer_frozen_means_frozen(
    export_dir, dataset, keras_layer_output_key, training_source_model
):
    inputs, labels = dataset
    model, layer = keras_layer_model(export_dir, trainable=False, output_key=keras_layer_output_key)
    assert layer.trainable_weights == []
    before = variable_values(layer.weights)
    model.fit(inputs, labels % 3, epochs=1, batch_size=16, verbose=0)
    # Batch-norm statistics included: only what the source's own inference moves may move.
    assert changed(before, layer.weights) == inference_moves(training_source_model, inputs), (
        "a frozen layer changed"
    )






def tfsm_layer(export_dir):
    with keras_defaults():
        return keras.layers.TFSMLayer(
            str(export_dir), call_endpoint="serve", call_training_endpoint="serve_training"
        )


def test_tfsm_layer_matches_source_model(export_dir, source_model, inputs):
    outputs = tfsm_layer(export_dir)(inputs)
    assert not differing_outputs(outputs, inference_outputs(source_model, inputs), OUTPUT_KEY)


def test_tfsm_layer_training_step_changes_its_output(export_dir, dataset):
    inputs, labels = dataset
    layer = tfsm_layer(export_dir)
    with keras_defaults():
        model_inputs = keras_input(keras)
        logits = keras.Sequential(classifier_head(keras.layers))(layer(model_inputs)[OUTPUT_KEY])
        model = keras.Model(model_inputs, logits)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert len(layer.trainable_weights) > 0
    before = layer(inputs)[OUTPUT_KEY].numpy()
    # A tf.data pipeline, not NumPy arrays: Keras 3 cannot batch NumPy strings.
    batches = tf.data.Dataset.from_tensor_slices((inputs, labels % 3)).batch(16)
    model.fit(batches, epochs=1, shuffle=False, verbose=0)  # The dataset is its own order.
    after = layer(inputs)[OUTPUT_KEY].numpy()
    assert not np.allclose(before, after), "training through TFSMLayer left its output unchanged"
