"""The export command and its artifact: the report, quiet output, reproducible bytes, versions."""

import re
import stat

import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2

from {{ cookiecutter.package_name }}.exporter import report
from {{ cookiecutter.package_name }}.exporter.op_allowlist import scan_saved_model
from {{ cookiecutter.package_name }}.exporter.reusable import (
    activity_regularized,
    weight_penalties,
)
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from digests import file_digests
from model_io import by_name, first_entry, input_specs, of_another_dtype, with_entry


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
    assert fields["signature"].startswith(f"{export_dir}.sig (every file, model-signing")


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



def test_concurrent_exports_each_take_their_own_version(racing_exports):
    """Two exports at once into one versioned directory: versions 1 and 2, nothing else."""
    serving = racing_exports["root"] / "serving"
    reported = set()
    for status, stdout, stderr in racing_exports["serving"]:
        assert status == 0, stderr[-3000:]
        reported.add(report.read(stdout)["SavedModel"])
    assert reported == {str(serving / "1"), str(serving / "2")}
    assert sorted(p.name for p in serving.iterdir()) == [
        "1", "1.sig", "1.tar.gz", "1.tar.gz.sha256", "2", "2.sig", "2.tar.gz", "2.tar.gz.sha256",
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
    assert stat.S_IMODE((serving / "1.sig").stat().st_mode) == 0o640



def test_wrong_dtype_and_shape_are_clear_errors(export_dir, inputs):
    name, values = first_entry(inputs)  # Of several inputs, the first is made wrong.
    spec = input_specs()[name]
    wrong_dtype = of_another_dtype(name, values)
    {%- if cookiecutter.__inputs == "text" %}
    wrong_shape = values[:, None]
    {%- else %}
    # One channel short: wrong for any image size, also where height and width are None.
    wrong_shape = values[..., :-1] if values.ndim > 2 else values[:, None]
    {%- endif %}
    # The serving signature names dtypes as TensorFlow's DataType proto does (float32: "float").
    dtype = types_pb2.DataType.Name(spec.dtype.as_datatype_enum)
    dtype = dtype.removeprefix("DT_").lower()
    loaded = tf.saved_model.load(str(export_dir))
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(with_entry(inputs, wrong_dtype))
    with pytest.raises((TypeError, ValueError), match="matching concrete function"):
        loaded(with_entry(inputs, wrong_shape))
    serving = loaded.signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"expected to be a {dtype} tensor"):
        serving(**by_name(with_entry(inputs, wrong_dtype)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible with expected shape"):
        serving(**by_name(with_entry(inputs, wrong_shape)))
