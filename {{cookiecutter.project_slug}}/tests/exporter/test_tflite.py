"""The TFLite variation `export --tflite` writes beside the export: LiteRT computes it as the
SavedModel does, the same bytes every time; or, for a model TFLite's builtins cannot run, a
one-line refusal naming the ops, and no file.

Which of these a model gets is read apart from the exporter, by converting it as
the model doc's example does with TensorFlow ops enabled (`tflite_refusal.py`):
your model is the test case, whatever ops it needs.
"""

import hashlib
from pathlib import Path

from ai_edge_litert.interpreter import Interpreter
import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.errors import ExportError
from {{ cookiecutter.package_name }}.exporter.export_lib import export_saved_model
from {{ cookiecutter.package_name }}.exporter.litert_check import RELATIVE_TOLERANCE
from {{ cookiecutter.package_name }}.exporter.tflite import (
    TFLiteError,
    convert,
    tflite_path,
    write_tflite,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model

from model_io import by_name, named_inputs
from tflite_refusal import convert_with_tensorflow_ops, graph_ops


@pytest.fixture(scope="module")
def needs(export_dir):
    """(Flex ops, ops no TFLite kernel runs) of the session's export, read apart from ours."""
    _, flex_ops, custom_ops = convert_with_tensorflow_ops(export_dir)
    return flex_ops, custom_ops


def attempt(export_dir, target, **options):
    """(`TFLiteFile`, None) of `write_tflite`, or (None, its one-line refusal)."""
    try:
        return write_tflite(export_dir, target, **options), None
    except TFLiteError as error:
        return None, str(error)


def litert_outputs(flatbuffer, inputs):
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    return runner(**named_inputs(inputs))


def test_builtins_write_a_file_litert_computes_as_the_saved_model(
    export_dir, needs, inputs, tmp_path
):
    target = tmp_path / "1.tflite"
    written, refusal = attempt(export_dir, target)
    flex_ops, custom_ops = needs
    if flex_ops or custom_ops:
        # Refused in one line that names what the builtins cannot run, and nothing written.
        assert written is None, f"builtins converted a model that needs {flex_ops + custom_ops}"
        assert "\n" not in refusal and any(op in refusal for op in flex_ops + custom_ops), refusal
        assert list(tmp_path.iterdir()) == []
        return
    assert refusal is None, refusal
    flatbuffer = target.read_bytes()
    digest = hashlib.sha256(flatbuffer).hexdigest()
    assert Path(f"{target}.sha256").read_text() == f"{digest}  1.tflite\n"
    assert written.field().startswith(f"{target} ({len(flatbuffer):,} bytes, sha256 {digest}); ")
    assert written.max_difference <= written.bound
    # Other inputs, and another batch size, than the export checked with.
    signature = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    expected = signature(**by_name(inputs))
    outputs = litert_outputs(flatbuffer, inputs)
    assert sorted(outputs) == sorted(expected)
    for name, value in expected.items():
        bound = RELATIVE_TOLERANCE * np.abs(value.numpy()).max()
        difference = np.abs(outputs[name] - value.numpy()).max()
        assert difference <= bound, f"{name}: LiteRT {difference:.3g} away (bound {bound:.3g})"


def test_select_ops_add_only_the_ops_builtins_cannot_run(export_dir, needs, inputs, tmp_path):
    written, refusal = attempt(export_dir, tmp_path / "1.tflite", select_ops=True)
    flex_ops, custom_ops = needs
    if custom_ops:  # No kernel TFLite has runs them, TensorFlow's included.
        assert refusal.startswith(f"no TFLite kernel runs {', '.join(custom_ops)}, "), refusal
        assert set(custom_ops) <= graph_ops(export_dir)
        return
    assert refusal is None, refusal
    assert list(written.flex_ops) == flex_ops
    flatbuffer = (tmp_path / "1.tflite").read_bytes()
    # A second conversion gives the same bytes, Flex ops and all (flex_ops.py).
    assert convert(export_dir, select_ops=True) == (flatbuffer, written.flex_ops)
    if flex_ops:
        assert "not run: its Flex ops (" in written.field() and "Flex delegate" in written.field()
        with pytest.raises(RuntimeError, match="Flex delegate"):  # pip's LiteRT has none.
            litert_outputs(flatbuffer, inputs)


def test_rebuilds_convert_to_the_same_bytes(racing_exports):
    # Two exports of the session's checkpoint, each by a process of its own (Keras
    # names a model's layers per process, and the converter keeps the names).
    def outcome(path):
        try:
            return convert(path, select_ops=True)
        except TFLiteError as error:  # A model no TFLite kernel runs: the same refusal.
            return str(error)

    rebuilds = [racing_exports["root"] / "serving" / name for name in ("1", "2")]
    assert outcome(rebuilds[0]) == outcome(rebuilds[1])


def test_a_refused_conversion_keeps_the_previous_file(tmp_path):
    module = tf.Module()  # Lowercases its input: no TFLite builtin does.
    module.lower = tf.function(
        lambda texts: {"lower": tf.strings.lower(texts)},
        input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
    )
    signatures = {"serving_default": module.lower}
    tf.saved_model.save(module, str(tmp_path / "model"), signatures=signatures)
    target = tmp_path / "out" / "model.tflite"
    target.parent.mkdir()
    target.write_bytes(b"the previous variation")
    _, refusal = attempt(tmp_path / "model", target, overwrite=True)
    assert refusal.startswith("TFLite's builtin ops cannot run StringLower; --tflite_select_ops ")
    assert "Flex delegate" in refusal and "\n" not in refusal
    assert target.read_bytes() == b"the previous variation"
    assert sorted(path.name for path in target.parent.iterdir()) == ["model.tflite"]


def test_an_existing_file_is_kept_without_overwrite(export_dir, tmp_path):
    target = tmp_path / "1.tflite"
    target.write_bytes(b"the previous variation")
    _, refusal = attempt(export_dir, target, select_ops=True)
    assert refusal == f"{target} exists; pass --overwrite to replace it"
    assert target.read_bytes() == b"the previous variation"


def test_export_to_an_object_store_writes_its_variation_there(checkpoint_dir, needs):
    url = "ram://tflite_bucket/models/1"
    try:
        exported = export_saved_model(
            str(checkpoint_dir), url, tflite_select_ops=True, verify=verify_saved_model
        )
    except ExportError as error:  # Only a model no TFLite kernel runs.
        assert needs[1] and str(error).startswith(f"{url} was exported, but has no TFLite ")
        assert tf.io.gfile.exists(f"{url}/saved_model.pb")
        return
    assert exported.tflite.path == tflite_path(url)
    assert dict(exported.fields())["tflite"] == exported.tflite.field()
    with tf.io.gfile.GFile(exported.tflite.path, "rb") as file:
        flatbuffer = file.read()
    with tf.io.gfile.GFile(f"{exported.tflite.path}.sha256") as file:
        assert file.read() == f"{hashlib.sha256(flatbuffer).hexdigest()}  1.tflite\n"
    assert flatbuffer == convert(url, select_ops=True)[0]
    assert not tf.io.gfile.glob("ram://tflite_bucket/models/.*")  # No partial file left.
