"""Round trip through servers and devices: `serving_default`, `saved_model_cli`, TFLite."""

import json
from pathlib import Path
import subprocess
import sys

from ai_edge_litert.interpreter import Interpreter
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from model_io import by_name, input_specs, named_inputs
from tflite_refusal import NO_TFLITE, convert_with_tensorflow_ops, graph_ops

SAVED_MODEL_CLI = Path(sys.executable).with_name("saved_model_cli")
MODEL_DOC = next((Path(__file__).resolve().parents[2] / "assets" / "docs").rglob("models/*/*.md"))




def test_serving_signature_matches_source_model(loaded, source_model, inputs):
    signature = loaded.signatures["serving_default"]
    specs = signature.structured_input_signature[1]
    assert sorted(specs) == sorted(input_specs()), "serving_default takes each input by name"
    for name, spec in specs.items():
        assert spec.dtype == input_specs()[name].dtype, name
        assert spec.shape.as_list() == input_specs()[name].shape.as_list(), name
        assert spec.shape[0] is None, f"the batch dimension of {name} must stay undefined"
    outputs = signature(**by_name(inputs))
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
    given = named_inputs(inputs)
    for name, values in given.items():
        np.save(scratch / f"{name}.npy", values)
    commands = [
        ["show", "--dir", export_dir, "--all"],
        ["run", "--dir", export_dir, "--tag_set", "serve", "--signature_def", "serving_default",
         "--inputs", ";".join(f"{name}={scratch / name}.npy" for name in given),
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
    indent = "\n        "
    for name, spec in input_specs().items():  # Every input, by name.
        dtype = types_pb2.DataType.Name(spec.dtype.as_datatype_enum)
        dims = ", ".join(str(-1 if dim is None else dim) for dim in spec.shape)
        info = f"inputs['{name}'] tensor_info:{indent}dtype: {dtype}{indent}shape: ({dims})"
        assert info in shown
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






def tflite_converter(export_dir):
    return tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=["serving_default"]
    )


@pytest.fixture(scope="module")
def tflite(export_dir):
    """(flatbuffer, Flex ops, ops no TFLite kernel runs) of the export (`tflite_refusal.py`)."""
    return convert_with_tensorflow_ops(export_dir)


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
    # LiteRT's interpreter: TensorFlow 2.21 warns that tf.lite.Interpreter is deprecated.
    interpreter = Interpreter(model_content=flatbuffer)

    def run():
        return interpreter.get_signature_runner("serving_default")(**named_inputs(inputs))
{%- if cookiecutter.__inputs == "text" %}
    # Text to ids needs TensorFlow's string kernels. Whatever else the network needs
    # (a recurrent layer's tensor lists) runs as Flex ops too.
    string_ops = ("String", "Ragged", "Regex", "StaticRegex", "LookupTable")
    if any(spec.dtype == tf.string for spec in input_specs().values()):  # Not token ids.
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
        # Android, the tensorflow-lite-select-tf-ops package). LiteRT's pip wheel has
        # none (google-ai-edge/LiteRT#6458); when it gains one, compare outputs here.
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
