"""`train` refuses, in one line and writing nothing, what `export` would refuse of the model.

A model that builds its variables in its first call: restored before it, it
would be exported with initialized weights (`restore.check_built`). And a
training model whose outputs have no names.

Its loss goes on one output: the model's only Tensor, or the OUTPUT_KEY entry of
its dict (model.py's contract). A list or tuple of outputs (a functional Keras
model built with a list) names none; `export` refuses such a model with the same
line. On the stand-in: what `train` does with the outputs is the same for any model.
"""

{% if cookiecutter.__builder == "tf_keras" -%}
import tensorflow as tf
import tf_keras as keras
{%- else -%}
import keras
import tensorflow as tf
{%- endif %}

from {{ cookiecutter.package_name }}.exporter import train_lib

from stand_in import StandIn


class Listed(keras.Model):
    """The model's output, in a list of one."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.wrapped = model

    def call(self, inputs, training=False):
        return [self.wrapped(inputs, training=training)]


def test_training_model_returning_a_list_is_refused_in_one_line(
    tmp_path, monkeypatch, run_command
):
    monkeypatch.setattr(train_lib, "build_model", StandIn)
    monkeypatch.setattr(train_lib, "build_training_model", Listed)
    message, _ = run_command(
        "train", "--checkpoint_dir", tmp_path / "checkpoints", "--epochs", 1,
        "--num_examples", 8, "--batch_size", 8, "--run_eagerly",
    )
    assert message == (
        "ERROR: the model returns a list; return one Tensor or a dict of named Tensors "
        '(a functional Keras model: keras.Model(inputs, {"logits": ..., ...}))'
    )
    assert list(tmp_path.iterdir()) == []


def test_a_model_built_by_its_first_call_is_refused_before_training(
    tmp_path, monkeypatch, run_command
):
    monkeypatch.setattr(  # No Input: its first call, in training, would build it.
        train_lib, "build_model", lambda: keras.Sequential([keras.layers.Dense(2)])
    )
    message, _ = run_command("train", "--checkpoint_dir", tmp_path / "checkpoints")
    assert message.startswith("ERROR: the model has no variables yet: build every variable in ")
    assert list(tmp_path.iterdir()) == []


def test_nested_named_inputs_are_refused_in_one_line(tmp_path, monkeypatch, run_command):
    """A nested dict INPUT_SIGNATURE, which export refuses, is refused before any data is made."""
    spec = tf.TensorSpec([None, 4], tf.float32)
    monkeypatch.setattr(train_lib, "INPUT_SIGNATURE", {"numbers": {"more": spec}})
    message, _ = run_command("train", "--checkpoint_dir", tmp_path / "checkpoints")
    assert message.startswith("ERROR: INPUT_SIGNATURE['numbers'] is a nested dict, which no ")
    assert list(tmp_path.iterdir()) == []
