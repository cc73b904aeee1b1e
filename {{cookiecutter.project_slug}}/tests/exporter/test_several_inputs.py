"""A model of several named inputs (a dict), exported and taken back by every consumer.

Whatever this project's own model takes, its exporter must serve a dict of
inputs the way TF Hub's BERT encoders are served: `__call__` on the dict,
`serving_default` with each input by name. A small functional model of token
ids, a float mask and float features stands in for one; the consumers are the
real ones.
"""

from pathlib import Path
import subprocess
import sys

from ai_edge_litert.interpreter import Interpreter
import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from {{ cookiecutter.package_name }} import model as model_py
from {{ cookiecutter.package_name }}.exporter import example_inputs
from {{ cookiecutter.package_name }}.exporter.dict_examples import guess
from {{ cookiecutter.package_name }}.exporter.example_inputs import check_accepted
from {{ cookiecutter.package_name }}.exporter.input_signature import InputsError
from {{ cookiecutter.package_name }}.exporter.outputs import same_values
from {{ cookiecutter.package_name }}.exporter.reusable import ReusableModule, save_reusable

from consumer_defaults import keras_defaults

SIGNATURE = {
    "input_word_ids": tf.TensorSpec([None, 6], tf.int32),
    "input_mask": tf.TensorSpec([None, 6], tf.float32),
    "features": tf.TensorSpec([None, 2], tf.float32),
}
VOCABULARY_SIZE = 10
# The Keras this project builds its models with.
MODEL_KERAS = {{ "tf_keras" if cookiecutter.__builder == "tf_keras" else "keras" }}
SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")


def build_several_inputs_model(vocabulary_size=VOCABULARY_SIZE):
    """Embedded ids, masked and summed, beside the features, into 3 logits.

    In float32, whatever dtype policy this project's model.py sets (mixed precision).
    """
    with keras_defaults():
        return _several_inputs_model(vocabulary_size)


def _several_inputs_model(vocabulary_size):
    layers = MODEL_KERAS.layers
    inputs = {name: MODEL_KERAS.Input(spec.shape[1:], dtype=spec.dtype.name, name=name)
              for name, spec in SIGNATURE.items()}
    embedded = layers.Embedding(vocabulary_size, 4)(inputs["input_word_ids"])
    masked = layers.Multiply()([embedded, layers.Reshape([6, 1])(inputs["input_mask"])])
    pooled = layers.GlobalAveragePooling1D()(masked)
    joined = layers.Concatenate()([pooled, inputs["features"]])
    logits = layers.Dense(3, kernel_regularizer=MODEL_KERAS.regularizers.L2(1e-3))(joined)
    return MODEL_KERAS.Model(inputs, logits, name="several_inputs")


def examples(batch_size, seed=0):
    # The exporter's guess: small integers (below any vocabulary), floats in [0, 1].
    return guess(SIGNATURE, batch_size, seed)


@pytest.fixture(scope="module")
def several(tmp_path_factory):
    """(the in-memory model, the path of its export)."""
    model = build_several_inputs_model()
    path = tmp_path_factory.mktemp("several_inputs") / "saved_model"
    save_reusable(ReusableModule(model, SIGNATURE, "logits"), path)
    return model, path


@pytest.mark.parametrize("batch_size", [1, 8])
@pytest.mark.parametrize("training", [False, True])
def test_loaded_call_takes_the_dict_in_both_modes(several, batch_size, training):
    model, path = several
    inputs = examples(batch_size)
    loaded = hub.load(str(path))(inputs, training=training)
    assert same_values(loaded, model(inputs, training=training))


def test_serving_default_takes_each_input_by_name(several):
    model, path = several
    serving = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert sorted(serving.structured_input_signature[1]) == sorted(SIGNATURE)
    inputs = examples(4)
    outputs = serving(**{name: tf.constant(value) for name, value in inputs.items()})
    assert same_values(outputs["logits"], model(inputs, training=False))
    # TensorFlow names a missing or an extra input in the first line of its refusal
    # (a wrong dtype only by position: "input #0 ... was expected to be a int32 tensor").
    given = {name: tf.constant(value) for name, value in inputs.items()}
    with pytest.raises(TypeError, match="^Binding inputs .*missing a required argument: "
                                        "'input_mask'"):
        serving(**{name: value for name, value in given.items() if name != "input_mask"})
    with pytest.raises(TypeError, match="^Binding inputs .*unexpected keyword argument 'extra'"):
        serving(**given, extra=given["features"])


def test_hub_keras_layer_fine_tunes_every_weight_on_a_dict_of_inputs(several):
    # As BERT encoders are used: hub.KerasLayer on a dict of tf_keras.Inputs.
    source, path = several
    inputs = {name: tf_keras.Input(spec.shape[1:], dtype=spec.dtype, name=name)
              for name, spec in SIGNATURE.items()}
    with keras_defaults():
        layer = hub.KerasLayer(str(path), trainable=True)
        model = tf_keras.Model(inputs, layer(inputs))
    model.compile(optimizer=tf_keras.optimizers.SGD(0.5),
                  loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.losses) == 1  # The Dense kernel's L2 penalty.
    before = [weight.numpy() for weight in layer.trainable_weights]
    data = examples(16, seed=3)
    model.fit(data, np.arange(16) % 3, epochs=1, batch_size=16, verbose=0)
    weights = zip(layer.trainable_weights, before, strict=True)
    unchanged = [weight.name for weight, value in weights if np.array_equal(weight.numpy(), value)]
    assert len(before) == len(source.trainable_variables)
    assert not unchanged, f"fine-tuning left {unchanged} unchanged"


def test_tfsm_layer_takes_the_dict_through_serve(several):
    # keras-team/keras#20813: TFSMLayer passes the dict as one positional argument,
    # which `serve` takes and `serving_default` (named arguments only) refuses.
    model, path = several
    inputs = examples(4)
    with keras_defaults():
        layer = keras.layers.TFSMLayer(
            str(path), call_endpoint="serve", call_training_endpoint="serve_training"
        )
    assert same_values(layer(inputs)["logits"], model(inputs, training=False))
    with pytest.raises(TypeError, match="too many positional arguments"):
        with keras_defaults():
            keras.layers.TFSMLayer(str(path), call_endpoint="serving_default")(inputs)


def test_saved_model_cli_runs_with_every_input(several, tmp_path):
    model, path = several
    inputs = examples(2)
    for name, value in inputs.items():
        np.save(tmp_path / f"{name}.npy", value)
    given = ";".join(f"{name}={tmp_path / name}.npy" for name in inputs)
    command = ["run", "--dir", path, "--tag_set", "serve", "--signature_def", "serving_default",
               "--inputs", given, "--outdir", tmp_path / "out"]
    result = subprocess.run(
        [str(SAVED_MODEL_CLI), *map(str, command)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert same_values(np.load(tmp_path / "out" / "logits.npy"), model(inputs, training=False))


def test_tflite_signature_runner_takes_named_inputs(several):
    model, path = several
    inputs = examples(4)
    flatbuffer = tf.lite.TFLiteConverter.from_saved_model(str(path)).convert()
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    assert sorted(runner.get_input_details()) == sorted(SIGNATURE)
    outputs = runner(**inputs)["logits"]
    np.testing.assert_allclose(outputs, model(inputs, training=False), rtol=1e-5, atol=1e-5)


def test_names_other_than_the_models_inputs_are_refused_in_one_line():
    renamed = {"word_ids" if name == "input_word_ids" else name: spec
               for name, spec in SIGNATURE.items()}
    with pytest.raises(InputsError, match=r"^input '\w+' is in .* only: the names of "):
        ReusableModule(build_several_inputs_model(), renamed, "logits")


@pytest.fixture
def several_inputs_project(monkeypatch):
    """model.py as a user of several inputs writes it, without `example_inputs` at first."""
    monkeypatch.setattr(model_py, "INPUT_SIGNATURE", SIGNATURE)
    monkeypatch.delattr(model_py, "example_inputs", raising=False)
    return monkeypatch


def test_a_guess_the_model_fails_on_says_how_to_give_examples(several_inputs_project):
    # Ids below 10 are guessed; a vocabulary of 3 words fails on them (an index out of range).
    model = build_several_inputs_model(vocabulary_size=3)
    with pytest.raises(InputsError, match=r"^the model fails on guessed example inputs \(.*\): "
                                          r"define example_inputs\(num_examples, seed=0\) in "):
        check_accepted(model, example_inputs.example_inputs(4))


def test_given_examples_are_used_and_checked_entry_by_entry(several_inputs_project):
    def given(num_examples, seed=0):
        values = guess(SIGNATURE, num_examples, seed)
        return {**values, "input_word_ids": values["input_word_ids"] % 3}

    several_inputs_project.setattr(model_py, "example_inputs", given, raising=False)
    assert example_inputs.example_inputs(4)["input_word_ids"].max() < 3
    check_accepted(build_several_inputs_model(vocabulary_size=3), given(4))  # Theirs: not checked.

    def wrong(num_examples, seed=0):
        return {**given(num_examples, seed), "input_mask": np.ones([num_examples, 6], np.int32)}

    several_inputs_project.setattr(model_py, "example_inputs", wrong)
    with pytest.raises(InputsError, match=r"^example_inputs\(\) input 'input_mask' is int32, "
                                          r"INPUT_SIGNATURE says float32$"):
        example_inputs.example_inputs(4)
