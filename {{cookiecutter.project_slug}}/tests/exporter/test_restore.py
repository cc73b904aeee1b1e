"""What export restores, and what it refuses to restore: each refusal one line, nothing written."""

import re
import shutil

{% if cookiecutter.__builder != "tf_keras" -%}
import keras
{% endif -%}
import numpy as np
import pytest
{%- if cookiecutter.__builder == "tf_keras" %}
import tf_keras as keras
{%- endif %}

from {{ cookiecutter.package_name }}.exporter import export_lib
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.restore import RestoreError, restore
from {{ cookiecutter.package_name }}.exporter.verified_save import save_verified

from stand_in import StandIn


def test_damaged_checkpoint_is_refused(checkpoint_dir, tmp_path, refusing_model):
    damaged = tmp_path / "damaged"
    shutil.copytree(checkpoint_dir, damaged)
    (shard,) = damaged.glob("*.data-*")
    # Every stored value garbled, the file's size kept: what a bad disk or copy leaves.
    shard.write_bytes(bytes(byte ^ 0xFF for byte in shard.read_bytes()))
    with pytest.raises(ExportError, match="cannot be read .*restore it from a copy or train again"):
        export_saved_model(damaged, tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged"]


@pytest.mark.parametrize("name, message", [
    ("empty", "no checkpoint found in"),
{%- if cookiecutter.__builder != "module" %}
    ("{{ 'model.keras' if cookiecutter.keras_flavour == 'keras3' else 'model.h5' }}", "no weights file"),
{%- endif %}
])
def test_missing_source_is_refused_before_the_model_is_built(
    name, message, tmp_path, monkeypatch
):
    monkeypatch.setattr(export_lib, "build_model", lambda: pytest.fail("the model was built first"))
    source = tmp_path / name
    with pytest.raises(ExportError, match=f"^{re.escape(f'{message} {source}')}$"):
        export_saved_model(source, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_foreign_checkpoint_is_refused_naming_what_is_unmatched(
    foreign_checkpoint_dir, tmp_path, refusing_model
):
    with pytest.raises(ExportError, match="does not match the model; unmatched: "):
        export_saved_model(foreign_checkpoint_dir, tmp_path / "new" / "serving", versioned=True)
    # Nor the directories the export made for its versions.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign"]


def test_restored_layers_compute_with_the_restored_statistics(tmp_path):
    """Restore finalizes each layer's state, as Keras' own loading does.

    An adapted Normalization derives the mean and variance it computes with from
    its variables in `finalize_state()`; without it, a restored one normalizes
    with those it was built with (zeros and ones).
    """

    def build():
        return keras.Sequential([keras.Input((3,)), keras.layers.Normalization(name="normalize")])

    data = np.random.default_rng(0).normal(5.0, 3.0, (64, 3)).astype("float32")
    adapted = build()
    adapted.get_layer("normalize").adapt(data)
    model_checkpoint(model=adapted).save(str(tmp_path / "ckpt"))
    model = build()
    restore(model, tmp_path)
    np.testing.assert_allclose(model(data[:4]), adapted(data[:4]), rtol=1e-6)


@pytest.mark.parametrize("dropout", [False, True], ids=["dense", "dense_and_dropout"])
def test_a_model_that_builds_in_its_first_call_is_refused(tmp_path, dropout):
    # Restored before its first call, it has no variables yet: they would be created
    # by the export's trace, initialized, while the checkpoint's weights went unused.
    # A Keras 3 Dropout makes its seed generator's variable with the layer: the
    # model then has a variable, but not its weights.
    def build():  # No Input: its first call builds it.
        return keras.Sequential([keras.layers.Dense(2)] + [keras.layers.Dropout(0.5)] * dropout)

    trained = build()
    trained(np.ones([1, 3], np.float32))
    model_checkpoint(model=trained).save(str(tmp_path / "ckpt"))
    with pytest.raises(RestoreError, match=r"^the model has no variables yet: build every"):
        restore(build(), tmp_path)


class ListOutputs(StandIn):
    """A model that returns its outputs in a list, as a functional Keras model built with one."""

    def __call__(self, inputs, training=False, **hyperparameters):
        output = super().__call__(inputs, training, **hyperparameters)
        return [output, 2 * output]


def test_outputs_in_a_list_are_refused_in_one_line(tmp_path):
    """A signature names its outputs; a list has no names to serve them under."""
    with pytest.raises(ExportError, match=r"^the model returns a list; return one Tensor or a"):
        save_verified(ListOutputs(), tmp_path / "export")
    assert not (tmp_path / "export").exists()



{% if cookiecutter.__builder != "module" -%}
def test_lookup_layer_without_vocabulary_is_refused(checkpoint_dir, monkeypatch):
    """A vocabulary adapted in training is in no checkpoint: build_model() must give it."""

    def build_unadapted_model():
        texts = keras.Input([], dtype="string")
        vectorize = keras.layers.TextVectorization(max_tokens=20, name="unadapted")
        return keras.Model(texts, keras.layers.Embedding(20, 2)(vectorize(texts)))

    monkeypatch.setattr(export_lib, "build_model", build_unadapted_model)
    with pytest.raises(ExportError, match="layer 'unadapted' has no vocabulary"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")


{% endif -%}
{% if cookiecutter.__builder == "keras3" -%}
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
        model(np.zeros([1, 3], "float32"))
        return model

    monkeypatch.setattr(export_lib, "build_model", build_set_model)
    with pytest.raises(ExportError, match="2 variables of the model are out of reach"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")
    assert not (checkpoint_dir.parent / "never").exists()


def test_discretization_without_boundaries_is_refused(checkpoint_dir, monkeypatch):
    """Bin boundaries adapted in training are in no checkpoint: build_model() must give them."""

    def build_unadapted_model():
        values = keras.Input([3])
        bins = keras.layers.Discretization(num_bins=4, name="unbinned")
        return keras.Model(values, keras.layers.Embedding(4, 2)(bins(values)))

    monkeypatch.setattr(export_lib, "build_model", build_unadapted_model)
    with pytest.raises(ExportError, match="layer 'unbinned' has no bin boundaries"):
        export_saved_model(checkpoint_dir, checkpoint_dir.parent / "never")
{%- endif %}
