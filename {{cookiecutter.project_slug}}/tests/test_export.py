"""The export refuses what it cannot do faithfully and never loses a previous export."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

{% if cookiecutter.model_type != "checkpoint" and cookiecutter.keras_flavour == "keras3" -%}
import keras
{% endif -%}
import pytest
import tensorflow as tf
{%- if cookiecutter.model_type != "checkpoint" and cookiecutter.keras_flavour == "tf_keras" %}
import tf_keras as keras
{%- endif %}

{% if cookiecutter.model_type == "checkpoint" -%}
from {{ cookiecutter.package_name }}.export import ExportError, export_saved_model
from {{ cookiecutter.package_name }}.reusable import weight_penalties
{%- else -%}
from {{ cookiecutter.package_name }}.export import (
    ExportError,
    export_saved_model,
    refuse_python_layers,
)
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY, build_model
from {{ cookiecutter.package_name }}.restore import restore
from {{ cookiecutter.package_name }}.reusable import weight_penalties
from {{ cookiecutter.package_name }}.verify import differing_outputs, inference_outputs
{%- endif %}


def tree_digest(path):
    """A digest of every file name and content under `path`."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def foreign_checkpoint_dir(tmp_path):
    """A checkpoint of another architecture, stored under the same `model` key."""
    other = tf.Module()
    other.kernel = tf.Variable(tf.ones([3, 3]))
    tf.train.Checkpoint(model=other).save(str(tmp_path / "foreign" / "ckpt"))
    return tmp_path / "foreign"


@pytest.fixture
def published(export_dir, tmp_path):
    """A copy of the session's export, for tests that try to damage it."""
    target = tmp_path / "exports" / "saved_model"
    shutil.copytree(export_dir, target)
    return target


def test_export_command_reports_the_verified_artifact(export_run, source_model):
    export_dir, report = export_run
    assert (export_dir / "saved_model.pb").is_file()
    assert f"SavedModel:            {export_dir}" in report
    assert "serving_default:" in report
    variables = len(source_model.variables)
    trainable = len(source_model.trainable_variables)
    assert f"variables:             {variables} ({trainable} trainable)" in report
    assert f"regularization losses: {len(weight_penalties(source_model))} (" in report
    # The optimizer state (and any training head) stays in the checkpoint, and the report says so.
    assert f"restored:              {variables} variables of `model`" in report
    assert "not exported: " in report and "optimizer (" in report
{%- if cookiecutter.model_type == "keras_piece" or cookiecutter.task == "image-feature-vector" %}
    # Only the piece is exported: the classification head it was trained with stays behind.
    assert "training_model (" in report
{%- endif %}


def test_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(ExportError, match="no checkpoint found"):
        export_saved_model(tmp_path / "empty", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_foreign_checkpoint_is_refused_naming_what_is_unmatched(foreign_checkpoint_dir, tmp_path):
    with pytest.raises(ExportError, match="does not match the model; unmatched: "):
        export_saved_model(foreign_checkpoint_dir, tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign"]


def test_failed_export_keeps_the_previous_one(published, foreign_checkpoint_dir):
    before = tree_digest(published)
    with pytest.raises(ExportError):
        export_saved_model(foreign_checkpoint_dir, published, overwrite=True)
    assert tree_digest(published) == before
    assert [p.name for p in published.parent.iterdir()] == [published.name]


def test_existing_export_needs_overwrite(checkpoint_dir, published):
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, published)
    exported = export_saved_model(checkpoint_dir, published, overwrite=True)
    assert exported.report.path == str(published)
    assert [p.name for p in published.parent.iterdir()] == [published.name]


def test_versioned_exports_count_up(checkpoint_dir, export_dir, tmp_path):
    base = tmp_path / "serving"
    shutil.copytree(export_dir, base / "1")
    exported = export_saved_model(checkpoint_dir, base, versioned=True)
    assert exported.report.path == str(base / "2")
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]


@pytest.mark.parametrize("moment", ["saved_model.pb", "variables/variables.index"])
def test_killed_export_leaves_the_previous_one_intact(checkpoint_dir, published, moment, env):
    """SIGKILL while the new SavedModel is being written, then export again."""
    before = tree_digest(published)
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.export",
         "--checkpoint_dir", str(checkpoint_dir), "--export_dir", str(published), "--overwrite"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(published.parent.glob(f".staging-{process.pid}-*/{moment}")):
        assert process.poll() is None, "the export finished before it could be killed"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    assert tree_digest(published) == before
    leftovers = [p.name for p in published.parent.iterdir() if p != published]
    assert all(name.startswith(".staging-") for name in leftovers), leftovers
    # The next export, even one refused, first removes what the killed one left behind.
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, published)
    assert [p.name for p in published.parent.iterdir()] == [published.name]


def test_kill_between_the_renames_is_repaired_by_the_next_export(checkpoint_dir, published):
    """A kill after the old export was moved aside and before the new one took its place."""
    before = tree_digest(published)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = published.parent / f".previous-{dead.pid}-abc"
    holder.mkdir()
    published.rename(holder / published.name)
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, published)
    assert tree_digest(published) == before
    assert [p.name for p in published.parent.iterdir()] == [published.name]


{% if cookiecutter.model_type != "checkpoint" -%}
def test_lambda_layers_are_refused():
    """A Lambda layer is Python bytecode: whoever loads it runs our code."""
    model = build_model()
    wrapped = keras.Sequential([model, keras.layers.Lambda(lambda x: x * 2.0, name="doubling")])
    with pytest.raises(ExportError, match="'doubling' is a Lambda layer"):
        refuse_python_layers(wrapped)
    refuse_python_layers(model)


{% endif -%}
{% if cookiecutter.model_type != "checkpoint" and cookiecutter.keras_flavour == "keras3" -%}
def test_variables_no_checkpoint_can_reach_are_refused(checkpoint_dir, monkeypatch):
    """Layers in a set have no order two processes share: no checkpoint can name them."""

    class InASet(keras.Model):
        def __init__(self):
            super().__init__()
            self.stages = {keras.layers.Dense(4)}

        def call(self, inputs, training=False):
            return next(iter(self.stages))(inputs)

    def build_set_model():
        model = InASet()
        model(tf.zeros([1, 3]))
        return model

    monkeypatch.setattr("{{ cookiecutter.package_name }}.export.build_model", build_set_model)
    with pytest.raises(ExportError, match="2 variables of the model are out of reach"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")
    assert not (checkpoint_dir.parent / "never").exists()


def test_lookup_layer_without_vocabulary_is_refused(checkpoint_dir, monkeypatch):
    """A vocabulary adapted in training is in no checkpoint: build_model() must give it."""

    def build_unadapted_model():
        texts = keras.Input([], dtype="string")
        vectorize = keras.layers.TextVectorization(max_tokens=20, name="unadapted")
        return keras.Model(texts, keras.layers.Embedding(20, 2)(vectorize(texts)))

    monkeypatch.setattr(
        "{{ cookiecutter.package_name }}.export.build_model", build_unadapted_model
    )
    with pytest.raises(ExportError, match="layer 'unadapted' has no vocabulary"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")


{% endif -%}
{% if cookiecutter.model_type != "checkpoint" -%}
{%- if cookiecutter.keras_flavour == "keras3" %}
# What Keras 3 training scripts write: a whole-model file, or the weights alone.
KERAS_FILES = ["model.keras", "model.weights.h5"]
{%- else %}
# What tf_keras training scripts write with save_weights: the HDF5 weights file.
KERAS_FILES = ["model.h5"]
{%- endif %}


def save_with_keras(model, path):
    if path.name.endswith(".keras"):
        model.save(path)
    else:
        model.save_weights(path)


@pytest.mark.parametrize("name", KERAS_FILES)
def test_restores_a_file_that_keras_saved(name, source_model, inputs, tmp_path):
    path = tmp_path / name
    save_with_keras(source_model, path)
    model = build_model()
    assert restore(model, path).source == str(path)
    expected = inference_outputs(source_model, inputs)
    assert not differing_outputs(inference_outputs(model, inputs), expected, OUTPUT_KEY)


def test_exports_from_a_file_that_keras_saved(source_model, inputs, tmp_path):
    """Training code that saves with Keras' own saving needs no checkpoint of ours."""
    path = tmp_path / KERAS_FILES[0]
    save_with_keras(source_model, path)
    exported = export_saved_model(path, tmp_path / "export")
    assert f"from {path}" in str(exported)
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    expected = inference_outputs(source_model, inputs)
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)


@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_file_of_another_architecture_is_refused(name, tmp_path):
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="other")])
    path = tmp_path / name
    save_with_keras(other, path)
    with pytest.raises(ExportError, match="does not match the model"):
        export_saved_model(path, tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


{% endif -%}
def test_wrong_dtype_and_shape_are_clear_errors(export_dir, inputs):
    {%- if cookiecutter.task.startswith("text-") %}
    wrong_dtype, wrong_shape, dtype = tf.range(len(inputs)), inputs[:, None], "string"
    {%- else %}
    wrong_dtype, wrong_shape, dtype = inputs.astype("float64"), inputs[:, :-1], "float"
    {%- endif %}
    loaded = tf.saved_model.load(str(export_dir))
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(wrong_dtype)
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(wrong_shape)
    serving = loaded.signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"expected to be a {dtype} tensor"):
        serving(tf.constant(wrong_dtype))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible with expected shape"):
        serving(tf.constant(wrong_shape))
