"""Round trip: the exported SavedModel works for each consumer, as the source model does.

One section per consumer: tf.saved_model.load / hub.load, hub.KerasLayer in
tf_keras, Keras 3's TFSMLayer, the serving_default signature through the real
saved_model_cli, and TFLite.
"""

import contextlib
import io
import itertools
import json
from pathlib import Path
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2
import tensorflow_hub as hub
import tf_keras

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
    same_values,
)
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict, weight_penalties
from {{ cookiecutter.package_name }}.model import (
    HYPERPARAMETERS,
    INPUT_SIGNATURE,
    OUTPUT_KEY,
)

from consumer_defaults import keras_defaults
from tflite_refusal import NO_TFLITE, refused_ops
from training_state import as_keras_layer_lists, changed, put_back, variable_values

SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")
MODEL_DOC = next((Path(__file__).resolve().parents[2] / "assets" / "docs").rglob("models/*/*.md"))


@pytest.fixture(scope="module")
def loaded(export_dir):
    """The export, loaded once for the tests that call it in inference mode only."""
    return tf.saved_model.load(str(export_dir))


@pytest.fixture(scope="module")
def training_loaded(export_dir):
    """Another load, for the tests that call it in training mode.

    A training-mode call moves the batch-norm statistics of the loaded object,
    and so changes what inference computes afterwards.
    """
    return tf.saved_model.load(str(export_dir))


def main_output(outputs):
    """The output a head is stacked on: the only one, or the one under OUTPUT_KEY."""
    return np.asarray(as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY])


def keras_input(keras_module):
    """An Input of the model's signature (without the batch dimension) in `keras_module`."""
    return keras_module.Input(INPUT_SIGNATURE.shape[1:], dtype=INPUT_SIGNATURE.dtype)


@pytest.fixture(scope="module")
def keras_layer_output_key(loaded, inputs):
    """hub.KerasLayer's `output_key`: needed (and only allowed) when the model returns a dict."""
    return OUTPUT_KEY if isinstance(loaded(inputs), dict) else None


# --- tf.saved_model.load / hub.load -------------------------------------------------------------


@pytest.mark.parametrize("loader", ["saved_model", "hub"])
def test_inference_equals_source_model(loader, loaded, export_dir, source_model, inputs):
    # tf.saved_model.load's object is the module's `loaded` (a load takes seconds).
    obj = loaded if loader == "saved_model" else hub.load(str(export_dir))
    for batch_size in (1, len(inputs)):  # One function serves any batch size.
        batch = inputs[:batch_size]
        expected = inference_outputs(source_model, batch)
        assert not differing_outputs(obj(batch), expected, OUTPUT_KEY), batch_size
        assert not differing_outputs(obj(batch, training=False), expected, OUTPUT_KEY), batch_size


def training_calls_differ(model, inputs):
    """Whether two training-mode calls give different outputs (dropout, noise, augmentation)."""
    first, second = model(inputs, training=True), model(inputs, training=True)
    return bool(differing_outputs(first, second, OUTPUT_KEY))


def test_inference_is_deterministic_and_training_mode_acts_as_in_the_source(
    training_loaded, training_source_model, inputs
):
    obj = training_loaded
    assert not differing_outputs(obj(inputs), obj(inputs), OUTPUT_KEY)
    assert main_output(obj(inputs, training=True)).shape == main_output(obj(inputs)).shape
    stochastic = training_calls_differ(training_source_model, inputs)
    assert training_calls_differ(obj, inputs) == stochastic, (
        "training mode should vary from call to call exactly when the source model's does"
    )


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
    # As many as the model has: none for a model without weight regularizers.
    assert len(values) == len(weight_penalties(source_model))
    assert all(value.shape.rank == 0 for value in values)
    expected = [float(loss) for loss in weight_penalties(source_model)]
    np.testing.assert_allclose([float(value) for value in values], expected, rtol=1e-6)


def test_export_holds_no_optimizer_state(export_dir):
    checkpoint = str(export_dir / "variables" / "variables")
    names = [name for name, _ in tf.train.list_variables(checkpoint)]
    assert names, "the SavedModel has no variables"
    leaked = [name for name in names if "optimizer" in name or "training_model" in name]
    assert not leaked, f"training state in the export: {leaked}"


# --- hub.KerasLayer in tf_keras -----------------------------------------------------------------


def classifier_head(layers):
    """Layers of a 3-class head for an output of any rank: `[batch, features]`, a sequence,
    a feature map. Dense on the last axis, averaged over the others."""
    return [layers.Dense(3), layers.Reshape((-1, 3)), layers.GlobalAveragePooling1D()]


def keras_layer_model(export_dir, trainable, output_key):
    """A tf_keras classifier on top of the SavedModel, as a fine-tuning consumer builds it."""
    with keras_defaults():
        layer = hub.KerasLayer(str(export_dir), trainable=trainable, output_key=output_key)
        model = tf_keras.Sequential([
            keras_input(tf_keras),
            layer,
            *classifier_head(tf_keras.layers),
        ])
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


# --- serving_default signature ------------------------------------------------------------------


def test_serving_signature_matches_source_model(loaded, source_model, inputs):
    signature = loaded.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert spec.dtype == INPUT_SIGNATURE.dtype
    assert spec.shape.as_list() == INPUT_SIGNATURE.shape.as_list()
    assert spec.shape[0] is None, "the batch dimension must stay undefined"
    outputs = signature(tf.constant(inputs))
    expected = as_dict(inference_outputs(source_model, inputs), OUTPUT_KEY)
    assert sorted(outputs) == sorted(expected)
    assert not differing_outputs(outputs, expected, OUTPUT_KEY)


# The installed `saved_model_cli` script, run for each command in turn in one Python
# process, as absl's app.run allows: one TensorFlow start-up (seconds) instead of one per
# command. Each command parses its flags afresh; absl keeps the flags a command marks as
# required, so `show` (which requires the fewest) goes first.
EACH_COMMAND = """
import json
import runpy
import sys

from absl import flags

for argv in json.loads(sys.argv[1]):
    flags.FLAGS.unparse_flags()
    sys.argv = argv
    print(f"=== {argv[1]}", flush=True)
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exit:
        if exit.code:
            raise
"""


@pytest.fixture(scope="module")
def saved_model_cli(export_dir, inputs, tmp_path_factory):
    """`saved_model_cli show --all`, then `run`, on the export.

    {"show": its stdout, "run": the directory of the outputs it saved}.
    """
    scratch = tmp_path_factory.mktemp("saved_model_cli")
    np.save(scratch / "inputs.npy", inputs)
    commands = [
        ["show", "--dir", export_dir, "--all"],
        ["run", "--dir", export_dir, "--tag_set", "serve", "--signature_def", "serving_default",
         "--inputs", f"{INPUT_SIGNATURE.name}={scratch / 'inputs.npy'}",
         "--outdir", scratch / "out"],
    ]
    argvs = [[str(SAVED_MODEL_CLI), *map(str, command)] for command in commands]
    result = subprocess.run(
        [sys.executable, "-c", EACH_COMMAND, json.dumps(argvs)], capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shown = result.stdout.split("=== show\n", 1)[1].split("=== run\n", 1)[0]
    return {"show": shown, "run": scratch / "out"}


def test_saved_model_cli_shows_the_signature(saved_model_cli, loaded):
    shown = saved_model_cli["show"]
    assert "signature_def['serving_default']" in shown
    name = INPUT_SIGNATURE.name
    dtype = types_pb2.DataType.Name(INPUT_SIGNATURE.dtype.as_datatype_enum)
    dims = ", ".join(str(-1 if dim is None else dim) for dim in INPUT_SIGNATURE.shape)
    indent = "\n        "
    assert f"inputs['{name}'] tensor_info:{indent}dtype: {dtype}{indent}shape: ({dims})" in shown
    for output in loaded.signatures["serving_default"].structured_outputs:
        assert f"outputs['{output}'] tensor_info:" in shown


def test_saved_model_cli_run_matches_source_model(saved_model_cli, source_model, inputs):
    expected = as_dict(inference_outputs(source_model, inputs), OUTPUT_KEY)
    # saved_model_cli saves a string output (class names, say) as an object array, which
    # NumPy pickles: these files are its own, written by the fixture.
    outputs = {
        name: np.load(saved_model_cli["run"] / f"{name}.npy", allow_pickle=True)
        for name in expected
    }
    assert not differing_outputs(outputs, expected, OUTPUT_KEY)


# --- keras.layers.TFSMLayer in Keras 3 ----------------------------------------------------------


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


# --- TFLite -------------------------------------------------------------------------------------


def tflite_converter(export_dir):
    return tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=["serving_default"]
    )


@pytest.fixture(scope="module")
def tflite(export_dir):
    """(flatbuffer, the TensorFlow ops it runs as Flex ops, the ops no TFLite kernel runs).

    Converted with TFLite's builtin kernels and, for the ops they cannot run,
    TensorFlow's own (SELECT_TF_OPS): a model that needs none gets the same
    flatbuffer as from the builtins alone. A model with an op that neither
    runs gets no flatbuffer (`tflite_refusal.py`).
    """
    converter = tflite_converter(export_dir)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    try:
        flatbuffer = converter.convert()
    except Exception as error:  # TFLite's ConverterError has no public name.
        _, custom_ops = refused_ops(error)
        if not custom_ops:
            raise
        return None, [], custom_ops
    analysis = io.StringIO()
    with contextlib.redirect_stdout(analysis):  # One line per op: "Op#0 FlexStringLower(...".
        tf.lite.experimental.Analyzer.analyze(model_content=flatbuffer)
    return flatbuffer, sorted(set(re.findall(r"Flex(\w+)", analysis.getvalue()))), []


def graph_ops(export_dir):
    """The types of every op in the SavedModel's graph and functions."""
    saved_model = saved_model_pb2.SavedModel.FromString(
        (export_dir / "saved_model.pb").read_bytes()
    )
    graph = saved_model.meta_graphs[0].graph_def
    nodes = [*graph.node, *(node for f in graph.library.function for node in f.node_def)]
    return {node.op for node in nodes}


def test_tflite_conversion_matches_source_model(export_dir, tflite, source_model, inputs):
    flatbuffer, flex_ops, custom_ops = tflite
    says_no_tflite = NO_TFLITE in " ".join(MODEL_DOC.read_text().split())
    if custom_ops:
        # TFLite cannot run the model: the converter refused it for ops of its own
        # graph that no TFLite kernel runs, and the model doc says so.
        unknown = set(custom_ops) - graph_ops(export_dir)
        assert not unknown, f"the converter names ops the export does not hold: {unknown}"
        assert says_no_tflite, (
            f"TFLite has no kernel for {', '.join(custom_ops)}, builtin or TensorFlow's "
            "(tensorflow/tensorflow#42673): replace the model doc's TFLite example with "
            f"`{NO_TFLITE}` and why (README)"
        )
        return
    assert not says_no_tflite, (
        f"the model doc says `{NO_TFLITE}`, but TFLite converts it: show the TFLite example"
    )
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)

    def run():
        return interpreter.get_signature_runner("serving_default")(**{INPUT_SIGNATURE.name: inputs})
{%- if cookiecutter.__inputs == "text" %}
    # Text to ids needs TensorFlow's string kernels. Whatever else the network needs
    # (a recurrent layer's tensor lists) runs as Flex ops too.
    string_ops = ("String", "Ragged", "Regex", "StaticRegex", "LookupTable")
    assert any(op.startswith(string_ops) for op in flex_ops), flex_ops
{%- endif %}
    if flex_ops:
        # The ops TFLite has no builtin kernel for: the builtins alone refuse the model,
        # naming them (the model doc's TFLite example must enable SELECT_TF_OPS).
        with pytest.raises(Exception) as refused:  # TFLite's ConverterError has no public name.
            tflite_converter(export_dir).convert()
        named = [op for op in flex_ops if op in str(refused.value)]
        assert named, f"the refusal names none of {flex_ops}: {str(refused.value)[:300]}"
        # Running it needs a TFLite runtime with the Flex delegate linked in (on
        # Android, the tensorflow-lite-select-tf-ops package). The interpreter of the
        # tensorflow wheel has none; when it gains one, compare outputs here.
        with pytest.raises(RuntimeError, match="Flex delegate"):
            run()
        return
    outputs = run()
    expected = as_dict(inference_outputs(source_model, inputs), OUTPUT_KEY)
    assert sorted(outputs) == sorted(expected)
    for name, value in outputs.items():
        difference = np.abs(value - expected[name]).max()  # NaN if either is.
        assert difference <= 1e-5, (
            f"TFLite's interpreter computes {name} {difference:.3g} away from the model, which "
            "the other consumers reproduce: one of its kernels computes a layer otherwise, as "
            "for a convolution with padding='same' and a stride larger than its kernel "
            "(google-ai-edge/LiteRT#9256, tensorflow/tensorflow#61815); change that layer"
        )


# --- Hyperparameters consumers can set ----------------------------------------------------------


def test_every_argument_combination_is_traced(loaded):
    functions = loaded.__call__.concrete_functions
    signatures = [function.structured_input_signature for function in functions]
    traced = {(args[1], tuple(sorted(kwargs))) for args, kwargs in signatures}
    names = sorted(HYPERPARAMETERS)
    expected = {
        (training, given)
        for training in (False, True)
        for count in range(len(names) + 1)
        for given in itertools.combinations(names, count)
    }
    assert traced == expected


def other_value(default):
    """A value of a hyperparameter other than its default, and as valid: half of it.

    Not zero: a temperature or a scale divides by it.
    """
    return default / 2 if default else 0.5


def spread(model, inputs, **hyperparameters):
    """How much training-mode outputs vary from call to call (dropout, noise)."""
    outputs = [main_output(model(inputs, training=True, **hyperparameters)) for _ in range(8)]
    return float(np.std(outputs, axis=0).mean())


def state_after_training_call(loaded, inputs, **hyperparameters):
    """The values of every variable after one training-mode call, which is then undone.

    Random-number state included (Keras 3's in `variables`, tf_keras's apart):
    from the same state, the same call draws the same numbers.
    """
    state = [*loaded.variables, *getattr(loaded, "unlisted_variables", [])]
    with put_back(state):
        loaded(inputs, training=True, **hyperparameters)
        return variable_values(state)


def same_state(first, second):
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_hyperparameters_are_exactly_the_declared_ones(training_loaded, inputs):
    loaded = training_loaded
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(inputs, not_a_hyperparameter=0.5)
    for name, default in HYPERPARAMETERS.items():
        other = other_value(default)
        # Each reaches the model: it changes the inference outputs, how much training
        # outputs vary (a dropout rate), or what a training-mode call does to the
        # variables (a batch-norm momentum, TF Hub's `batch_norm_momentum`): that,
        # where the same call from the same values always does the same.
        moves_inference = differing_outputs(
            loaded(inputs, **{name: other}), loaded(inputs, **{name: default}), OUTPUT_KEY
        )
        moves_spread = not np.isclose(
            spread(loaded, inputs, **{name: other}), spread(loaded, inputs), rtol=0.1, atol=1e-7
        )
        state = state_after_training_call(loaded, inputs, **{name: default})
        moves_state = same_state(state, state_after_training_call(loaded, inputs)) and not (
            same_state(state, state_after_training_call(loaded, inputs, **{name: other}))
        )
        assert moves_inference or moves_spread or moves_state, (
            f"hyperparameter {name!r} changes nothing: not the inference outputs, not how much "
            "training outputs vary, not what a training-mode call does to the variables (checked "
            "when that call is repeatable: a model whose random ops are unseeded varies it)"
        )


def test_keras_layer_passes_hyperparameters_as_arguments(
    export_dir, loaded, inputs, keras_layer_output_key
):
    arguments = {name: other_value(default) for name, default in HYPERPARAMETERS.items()}
    with keras_defaults():
        layer = hub.KerasLayer(
            str(export_dir), trainable=True, arguments=arguments or None,
            output_key=keras_layer_output_key,
        )
    expected = main_output(loaded(inputs, **arguments))
    assert same_values(layer(inputs).numpy(), expected)
