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
{%- else -%}
from {{ cookiecutter.package_name }}.export import (
    ExportError,
    export_saved_model,
    refuse_python_layers,
)
from {{ cookiecutter.package_name }}.model import build_model
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
    assert f"regularization losses: {len(source_model.losses)} (" in report
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
    """Keras 3 layers kept in a plain list are invisible to tf.train.Checkpoint."""

    class Listed(keras.Model):
        def __init__(self):
            super().__init__()
            self.stages = [keras.layers.Dense(4), keras.layers.Dense(2)]

        def call(self, inputs, training=False):
            return self.stages[1](self.stages[0](inputs))

    def build_listed_model():
        model = Listed()
        model(tf.zeros([1, 3]))
        return model

    monkeypatch.setattr("{{ cookiecutter.package_name }}.export.build_model", build_listed_model)
    with pytest.raises(ExportError, match="4 variables of the model are invisible"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")


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
