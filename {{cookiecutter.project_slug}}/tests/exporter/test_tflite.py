"""The TFLite variation `export --tflite` writes beside the export: LiteRT computes it as the
SavedModel does, the same bytes every time, or no file at all."""

import hashlib
from pathlib import Path
import subprocess

from ai_edge_litert.interpreter import Interpreter
{% if cookiecutter.__inputs == "image" -%}
import numpy as np
{% endif -%}
import pytest
import tensorflow as tf

{% if cookiecutter.__inputs == "image" -%}
from {{ cookiecutter.package_name }}.exporter import report
{% endif -%}
from {{ cookiecutter.package_name }}.exporter.export_lib import export_saved_model
{% if cookiecutter.__inputs == "image" -%}
from {{ cookiecutter.package_name }}.exporter.litert_check import RELATIVE_TOLERANCE
{% endif -%}
from {{ cookiecutter.package_name }}.exporter.tflite import (
    TFLiteError,
    convert,
    tflite_path,
    write_tflite,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE

from model_io import {% if cookiecutter.__inputs == "image" %}by_name{% else %}first{% endif %}, named_inputs

# Whether the example model converts with TFLite's builtin ops alone. Text models
# do not: their tokenizer's string ops have no builtin kernel (tokenizer.py).
BUILTINS_CONVERT = {{ "False" if cookiecutter.__inputs == "text" else "True" }}
# Whether the model takes text, not token ids made outside it.
TAKES_STRINGS = any(spec.dtype == tf.string for spec in tf.nest.flatten(INPUT_SIGNATURE))


@pytest.fixture(scope="module")
def tflite_export(checkpoint_dir, command_line, env, tmp_path_factory):
    """(export directory, exit status, stdout, stderr) of `export --tflite`, run as a user does."""
    export_dir = tmp_path_factory.mktemp("tflite") / "export" / "1"
    result = subprocess.run(
        command_line(
            "export", "--checkpoint_dir", checkpoint_dir, "--export_dir", export_dir, "--tflite"
        ),
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    return export_dir, result.returncode, result.stdout, result.stderr


def litert_outputs(flatbuffer, inputs):
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    return runner(**named_inputs(inputs))


{% if cookiecutter.__inputs == "image" -%}
def saved_model_outputs(export_dir, inputs):
    signature = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    return {
        key: value.numpy()
        for key, value in signature(**by_name(inputs)).items()
    }


def test_export_tflite_writes_a_file_litert_computes_as_the_saved_model(tflite_export, inputs):
    export_dir, status, stdout, stderr = tflite_export
    assert status == 0, stderr[-3000:]
    path = Path(tflite_path(export_dir))
    flatbuffer = path.read_bytes()
    digest = hashlib.sha256(flatbuffer).hexdigest()
    assert Path(f"{path}.sha256").read_text() == f"{digest}  1.tflite\n"
    field = report.read(stdout)["tflite"]
    assert field.startswith(f"{path} ({len(flatbuffer):,} bytes, sha256 {digest}); LiteRT ")
    # Other inputs, and another batch size, than the export checked with.
    outputs, expected = litert_outputs(flatbuffer, inputs), saved_model_outputs(export_dir, inputs)
    assert sorted(outputs) == sorted(expected)
    for name, value in expected.items():
        bound = RELATIVE_TOLERANCE * np.abs(value).max()
        difference = np.abs(outputs[name] - value).max()
        assert difference <= bound, f"{name}: LiteRT {difference:.3g} away (bound {bound:.3g})"
{%- else -%}
def test_text_model_has_no_builtin_tflite_variation_and_says_why_in_one_line(tflite_export):
    export_dir, status, stdout, stderr = tflite_export
    assert status == 1, stdout
    line = stderr.strip().splitlines()[-1]
    assert line.startswith(f"ERROR: {export_dir} was exported, but has no TFLite variation: "
                           "TFLite's "), line
    assert "--tflite_select_ops" in line and "Flex delegate" in line
    # The tokenizer's string ops, unless what the builtins stopped at first is the
    # tensor lists of a recurrent layer, which it names (a model of token ids has only those).
    if "cannot lower" in line:
        assert "TensorListReserve" in line
    else:
        assert "builtin ops cannot run " in line and "StringLower" in line
    assert not tf.io.gfile.glob(f"{tflite_path(export_dir)}*")


def test_select_ops_write_a_file_that_says_it_needs_the_flex_delegate(
    tflite_export, tmp_path, inputs
):
    export_dir, status, _, _ = tflite_export
    written = write_tflite(export_dir, tmp_path / "1.tflite", select_ops=True)
    assert "StringLower" in written.flex_ops if TAKES_STRINGS else written.flex_ops
    assert "not run: its Flex ops (" in written.field() and "Flex delegate" in written.field()
    flatbuffer = (tmp_path / "1.tflite").read_bytes()
    assert written.sha256 == hashlib.sha256(flatbuffer).hexdigest()
    # A second conversion gives the same bytes; pip's LiteRT cannot run them.
    assert convert(export_dir, select_ops=True) == (flatbuffer, written.flex_ops)
    with pytest.raises(RuntimeError, match="Flex delegate"):
        litert_outputs(flatbuffer, first(inputs, 1))
{%- endif %}



def test_rebuilds_convert_to_the_same_bytes(racing_exports, tflite_export):
    # Three exports of the session's checkpoint, each by a process of its own (Keras
    # names a model's layers per process, and the converter keeps the names).
    rebuilds = [racing_exports["root"] / "serving" / name for name in ("1", "2")]
    converted = [convert(path, select_ops=not BUILTINS_CONVERT) for path in rebuilds]
    assert converted[0] == converted[1]
    if BUILTINS_CONVERT:
        assert converted[0] == (Path(tflite_path(tflite_export[0])).read_bytes(), ())


def string_model(directory):
    """A SavedModel whose `serving_default` lowercases its input: no TFLite builtin does."""
    module = tf.Module()
    module.lower = tf.function(
        lambda texts: {"lower": tf.strings.lower(texts)},
        input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
    )
    tf.saved_model.save(module, str(directory), signatures={"serving_default": module.lower})
    return directory


def test_a_refused_conversion_writes_nothing_and_keeps_the_previous_file(tmp_path):
    model = string_model(tmp_path / "model")
    target = tmp_path / "out" / "model.tflite"
    target.parent.mkdir()
    target.write_bytes(b"the previous variation")
    with pytest.raises(TFLiteError) as refused:
        write_tflite(model, target, overwrite=True)
    assert str(refused.value).startswith("TFLite's builtin ops cannot run StringLower; ")
    assert "\n" not in str(refused.value)
    assert target.read_bytes() == b"the previous variation"
    assert sorted(path.name for path in target.parent.iterdir()) == ["model.tflite"]


def test_an_existing_file_is_kept_without_overwrite(tflite_export, tmp_path):
    target = tmp_path / "1.tflite"
    target.write_bytes(b"the previous variation")
    with pytest.raises(TFLiteError, match="exists; pass --overwrite to replace it"):
        write_tflite(tflite_export[0], target, select_ops=not BUILTINS_CONVERT)
    assert target.read_bytes() == b"the previous variation"


def test_export_to_an_object_store_writes_its_variation_there(checkpoint_dir):
    url = "ram://tflite_bucket/models/1"
    exported = export_saved_model(
        str(checkpoint_dir), url, tflite=True, tflite_select_ops=not BUILTINS_CONVERT,
        verify=verify_saved_model,
    )
    assert exported.tflite.path == tflite_path(url)
    with tf.io.gfile.GFile(exported.tflite.path, "rb") as file:
        flatbuffer = file.read()
    with tf.io.gfile.GFile(f"{exported.tflite.path}.sha256") as file:
        assert file.read() == f"{hashlib.sha256(flatbuffer).hexdigest()}  1.tflite\n"
    assert flatbuffer == convert(url, select_ops=not BUILTINS_CONVERT)[0]
    assert not tf.io.gfile.glob("ram://tflite_bucket/models/.*")  # No partial file left.
