"""The export refuses what it cannot do faithfully and never loses a previous export."""

import errno
import hashlib
import os
from pathlib import Path
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time

{% if cookiecutter.__builder != "tf_keras" -%}
import keras
{% endif -%}
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
{%- if cookiecutter.__builder == "tf_keras" %}
import tf_keras as keras
{%- endif %}

from {{ cookiecutter.package_name }}.exporter import export_lib, report
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
    save_verified,
)
from {{ cookiecutter.package_name }}.exporter.op_allowlist import scan_saved_model
from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.restore import RestoreError, restore
from {{ cookiecutter.package_name }}.exporter.reusable import (
    activity_regularized,
    weight_penalties,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY, build_model

from stand_in import StandIn


def file_digests(path):
    """{name relative to `path`: SHA-256 of the content} of every file under `path`."""
    return {
        file.relative_to(path).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(p for p in path.rglob("*") if p.is_file())
    }


def tree_digest(path):
    """A digest of every file name and content under `path`."""
    return hashlib.sha256(repr(sorted(file_digests(path).items())).encode()).hexdigest()


@pytest.fixture
def foreign_checkpoint_dir(tmp_path):
    """A checkpoint of another architecture, stored under the same `model` key."""
    other = tf.Module()
    other.kernel = tf.Variable(tf.ones([3, 3]))
    tf.train.Checkpoint(model=other).save(str(tmp_path / "foreign" / "ckpt"))
    return tmp_path / "foreign"


@pytest.fixture(scope="module")
def spare_model():
    """One `build_model()` (seconds for a large model) for the tests that refuse or restore it.

    A refused restore may leave some of its values assigned; a test that reads
    values restores every one first.
    """
    return build_model()


@pytest.fixture
def refusing_model(spare_model, monkeypatch):
    """The export builds `spare_model` (a test that uses this expects it refused)."""
    monkeypatch.setattr(export_lib, "build_model", lambda: spare_model)


@pytest.fixture
def stand_in_checkpoint(tmp_path):
    """A checkpoint of the stand-in (tests/stand_in.py), for tests of how exports are placed.

    Staging, renaming and cleaning up are the same for any model; the stand-in
    exports in a fraction of the time. What the export does with your model is
    tested on the session's checkpoint.
    """
    return model_checkpoint(model=StandIn()).save(str(tmp_path / "stand_in" / "ckpt"))


@pytest.fixture
def existing_export(export_dir, tmp_path):
    """A copy of the session's export, for tests that try to damage it."""
    target = tmp_path / "exports" / "saved_model"
    shutil.copytree(export_dir, target)
    return target


def test_export_command_reports_the_verified_artifact(export_run, source_model):
    export_dir, (_, printed, _) = export_run
    assert (export_dir / "saved_model.pb").is_file()
    fields = report.read(printed)
    assert fields["SavedModel"] == str(export_dir)
    inputs, arrow, outputs = fields["serving_default"].partition(" -> ")
    assert arrow and inputs and f"{OUTPUT_KEY}: " in outputs
    variables = len(source_model.variables)
    trainable = len(source_model.trainable_variables)
    assert fields["variables"] == f"{variables} ({trainable} trainable)"
    assert fields["regularization losses"].startswith(f"{len(weight_penalties(source_model))} (")
    # Activity regularizers depend on the inputs: left out, and the report names their layers.
    left_out = activity_regularized(source_model)
    assert fields.get("not exported", "").endswith(f" of {', '.join(left_out)}") == bool(left_out)
    # The optimizer state (and any training head) stays in the checkpoint, and the report says so.
    assert fields["restored"].startswith(f"{variables} variables of `model`")
    assert "; not exported: " in fields["restored"] and "optimizer (" in fields["restored"]
{%- if cookiecutter.model_type == "keras_piece" or cookiecutter.task == "image-feature-vector" %}
    # Only the piece is exported: the classification head it was trained with stays behind.
    assert "training_model (" in fields["restored"]
{%- endif %}
    archive = export_dir.with_name(f"{export_dir.name}.tar.gz")
    assert fields["package"].startswith(f"{archive} (sha256 ")


def test_export_command_prints_only_its_own_lines(export_run):
    """Quiet by default: none of TensorFlow's C++ or absl start-up lines, no INFO logging."""
    _, (_, stdout, stderr) = export_run
    noise = re.compile(r"^[IWE]\d{4} |absl::InitializeLog|oneDNN|cuda|^INFO:", re.MULTILINE)
    assert not noise.search(stderr), stderr[-2000:]
    assert not noise.search(stdout), stdout[-2000:]


def test_same_checkpoint_packs_to_the_same_bytes_in_another_process(racing_exports):
    """Anyone with the checkpoint and this code can rebuild the package and its hash."""
    serving = racing_exports["root"] / "serving"
    first, second = file_digests(serving / "1"), file_digests(serving / "2")
    differing = sorted(name for name in first.keys() | second.keys()
                       if first.get(name) != second.get(name))
    assert not differing, (
        f"two exports of one checkpoint differ in {', '.join(differing)}: the model's trace "
        "draws random numbers (Python's or NumPy's; keras.layers.AugMix does), so the graph "
        "differs from run to run; seed them in build_model(): keras.utils.set_random_seed(0)"
    )
    assert (serving / "2.tar.gz").read_bytes() == (serving / "1.tar.gz").read_bytes()


def test_export_dir_that_is_a_file_is_refused_and_nothing_written(checkpoint_dir, tmp_path):
    target = tmp_path / "export"
    target.write_text("not a directory")
    message = f"{target} is a file; --export_dir must name a directory"
    with pytest.raises(ExportError, match=f"^{re.escape(message)}$"):
        export_saved_model(checkpoint_dir, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_export_dir_that_cannot_be_written_is_refused(checkpoint_dir, tmp_path):
    if os.geteuid() == 0:
        parent = Path("/sys")  # Even root may not create directories there.
    else:
        parent = tmp_path / "read-only"
        parent.mkdir(mode=0o500)
    with pytest.raises(ExportError, match=f"cannot write in {parent}"):
        export_saved_model(checkpoint_dir, parent / "no" / "export")


def test_full_disk_is_refused_and_leaves_nothing(stand_in_checkpoint, existing_export, monkeypatch):
    before = tree_digest(existing_export)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_lib, "build_model", StandIn)
    monkeypatch.setattr(tf.saved_model, "save", no_space)
    with pytest.raises(ExportError, match="failed: No space left on device"):
        export_saved_model(
            stand_in_checkpoint, existing_export, overwrite=True, verify=verify_saved_model
        )
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


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


def test_failed_export_keeps_the_previous_one(
    existing_export, foreign_checkpoint_dir, refusing_model
):
    before = tree_digest(existing_export)
    with pytest.raises(ExportError):
        export_saved_model(foreign_checkpoint_dir, existing_export, overwrite=True)
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


def test_existing_export_and_package_need_overwrite(checkpoint_dir, existing_export):
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, existing_export)
    fresh = existing_export.with_name("fresh")
    archive = existing_export.with_name("fresh.tar.gz")
    archive.write_bytes(b"an earlier package")
    with pytest.raises(ExportError, match=f"{archive} exists; pass --overwrite"):
        export_saved_model(checkpoint_dir, fresh, pack=True)
    assert archive.read_bytes() == b"an earlier package"
    assert not fresh.exists()


def test_concurrent_exports_each_take_their_own_version(racing_exports):
    """Two exports at once into one versioned directory: versions 1 and 2, nothing else."""
    serving = racing_exports["root"] / "serving"
    reported = set()
    for status, stdout, stderr in racing_exports["serving"]:
        assert status == 0, stderr[-3000:]
        reported.add(report.read(stdout)["SavedModel"])
    assert reported == {str(serving / "1"), str(serving / "2")}
    assert sorted(p.name for p in serving.iterdir()) == [
        "1", "1.tar.gz", "1.tar.gz.sha256", "2", "2.tar.gz", "2.tar.gz.sha256",
    ]
    for path in reported:
        assert scan_saved_model(path) == []
        assert tf.saved_model.load(path).signatures["serving_default"] is not None


def test_exported_files_have_the_users_permissions(racing_exports):
    """The exports ran under umask 027: what they write is 0o777 or 0o666 less it."""
    serving = racing_exports["root"] / "serving"
    assert stat.S_IMODE((serving / "1").stat().st_mode) == 0o750
    assert stat.S_IMODE((serving / "1" / "saved_model.pb").stat().st_mode) == 0o640
    assert stat.S_IMODE((serving / "1.tar.gz").stat().st_mode) == 0o640


def test_killed_export_leaves_the_previous_one_intact(
    stand_in_checkpoint, existing_export, env, run_command
):
    """SIGKILL while the new SavedModel is in its staging directory, then export again.

    The export and its verifier process are killed together, as a job scheduler
    or an out-of-memory killer ends a job. It exports the stand-in: what a kill
    leaves behind, and what the next export does with it, is the same for any model.
    """
    before = tree_digest(existing_export)
    script = textwrap.dedent(f"""
        import sys

        sys.path.insert(0, {str(Path(__file__).parents[1])!r})
        from stand_in import StandIn
        from {{ cookiecutter.package_name }}.exporter import export_lib

        export_lib.build_model = StandIn
        export_lib.export_saved_model(
            {str(stand_in_checkpoint)!r}, {str(existing_export)!r}, overwrite=True
        )
    """)
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    staged = f".staging-{process.pid}-*/variables/variables.index"
    while not list(existing_export.parent.glob(staged)):
        assert process.poll() is None, "the export finished before it could be killed"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    assert tree_digest(existing_export) == before
    leftovers = [p.name for p in existing_export.parent.iterdir() if p != existing_export]
    assert all(name.startswith(".staging-") for name in leftovers), leftovers
    # The next export, even one refused, first removes what the killed one left behind;
    # refused as a command (here in this process), it exits with one line that says why.
    message, _ = run_command(
        "export", "--checkpoint_dir", stand_in_checkpoint, "--export_dir", existing_export
    )
    assert message == f"ERROR: {existing_export} is not empty; pass --overwrite to replace it"
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


def test_kill_between_the_renames_is_repaired_by_the_next_export(checkpoint_dir, existing_export):
    """A kill after the old export was moved aside and before the new one took its place."""
    before = tree_digest(existing_export)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = existing_export.parent / f".previous-{dead.pid}-abc"
    holder.mkdir()
    existing_export.rename(holder / existing_export.name)
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, existing_export)
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


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
        model(tf.zeros([1, 3]))
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


{% endif -%}
{% if cookiecutter.__builder != "module" -%}
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
def test_restores_a_file_that_keras_saved(name, source_model, spare_model, inputs, tmp_path):
    path = tmp_path / name
    try:
        save_with_keras(source_model, path)
    except NotImplementedError:
        # A model whose layers have no get_config has no whole-model file: Keras refuses
        # to write one, so no user can bring one. Its weights file is tested beside.
        assert name.endswith(".keras")
        return
{%- if cookiecutter.keras_flavour == "tf_keras" %}
    except ValueError as error:
        # tf_keras writes a layer's weights under their names: a layer whose weights share
        # one (a hub.KerasLayer of a Keras 3 export: `kernel`, `bias`, ...) has no HDF5
        # file either. Its checkpoint, what `train` writes, is restored in the session.
        assert "name already exists" in str(error), error
        assert any(len({w.name for w in layer.weights}) < len(layer.weights)
                   for layer in source_model.layers)
        return
{%- endif %}
    assert restore(spare_model, path).source == str(path)
    expected = inference_outputs(source_model, inputs)
    assert not differing_outputs(inference_outputs(spare_model, inputs), expected, OUTPUT_KEY)


@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_file_of_another_architecture_is_refused(name, tmp_path, refusing_model):
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="other")])
    path = tmp_path / name
    save_with_keras(other, path)
    with pytest.raises(ExportError, match="does not match the model"):
        export_saved_model(path, tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


{% endif -%}
def test_overwrite_replaces_the_previous_export(
    stand_in_checkpoint, existing_export, inputs, monkeypatch
):
    """Your export replaced by the stand-in's: replacing is the same for any two models.

    How an export restores your model, from a checkpoint or a file Keras wrote,
    is tested on your model apart; the session's exports save it.
    """
    before = tree_digest(existing_export)
    monkeypatch.setattr(export_lib, "build_model", StandIn)
    # Verified in this process: the session's exports prove the fresh process.
    exported = export_saved_model(
        stand_in_checkpoint, existing_export, overwrite=True, verify=verify_saved_model
    )
    assert f"from {stand_in_checkpoint}" in str(exported)
    assert tree_digest(existing_export) != before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]
    loaded = tf.saved_model.load(str(existing_export))
    expected = inference_outputs(StandIn(), inputs)
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)


def test_wrong_dtype_and_shape_are_clear_errors(export_dir, inputs):
    {%- if cookiecutter.__inputs == "text" %}
    wrong_dtype, wrong_shape = tf.range(len(inputs)), inputs[:, None]
    {%- else %}
    wrong_dtype = inputs.astype("float32" if INPUT_SIGNATURE.dtype == tf.float64 else "float64")
    # One channel short: wrong for any image size, also where height and width are None.
    wrong_shape = inputs[..., :-1]
    {%- endif %}
    # The serving signature names dtypes as TensorFlow's DataType proto does (float32: "float").
    dtype = types_pb2.DataType.Name(INPUT_SIGNATURE.dtype.as_datatype_enum)
    dtype = dtype.removeprefix("DT_").lower()
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
