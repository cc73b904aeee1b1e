"""The model documentation passes the Kaggle Models / tfhub.dev format rules and tells the truth.

The format rules are those of `tools/validator.py` in tensorflow/tfhub.dev.
"""

import ast
from pathlib import Path
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from {{ cookiecutter.package_name }}.exporter import kaggle_metadata
from {{ cookiecutter.package_name }}.exporter.doc_facts import DOC, DocError, stale_lines
from {{ cookiecutter.package_name }}.exporter.model_facts import collect
from {{ cookiecutter.package_name }}.model import (
    HYPERPARAMETERS,
    INPUT_SIGNATURE,
    OUTPUT_KEY,
)

from consumer_defaults import keras_defaults
from model_io import batch_size, first
from tflite_refusal import NO_TFLITE, refused_ops
from training_state import (
    as_keras_layer_lists,
    changed,
    training_moves_non_trainable_state,
    variable_values,
)

# What the doc's example snippets call the input batch.
INPUTS_NAME = "{{ "texts" if cookiecutter.__inputs == "text" else "images" }}"

DOCS = Path(__file__).resolve().parents[2] / "assets" / "docs"
PUBLISHER, MODEL_NAME, VERSION = (
    "{{ cookiecutter.publisher }}", "{{ cookiecutter.model_name }}", "{{ cookiecutter.model_version }}"
)
MODEL_DOC = DOCS / PUBLISHER / "models" / MODEL_NAME / f"{VERSION}.md"

METADATA_LINE = re.compile(r"<!--(?P<key>[\w\s-]+):(?P<value>.+)-->")
REQUIRED = {"asset-path", "fine-tunable", "format", "task"}
OPTIONAL = {
    "network-architecture", "colab", "dataset", "language", "license", "interactive-visualizer",
}
REPEATABLE = {"dataset", "language", "task", "network-architecture"}
TASKS = {"image-classification", "image-feature-vector", "text-classification", "text-embedding"}
LICENSES = {
    "apache-2.0", "bsd-2-clause", "bsd-3-clause", "gpl-2.0", "gpl-3.0", "lgpl-2.0", "lgpl-2.1",
    "lgpl-3.0", "mit", "mpl-2.0", "cddl-1.0", "epl-2.0", "cc-by-nc-4.0", "cc-by-sa-4.0", "custom",
}


def parse(path):
    """Returns (first line, description, {key: [values]}, body) of a model-doc file."""
    lines = path.read_text().splitlines()
    index = 2 if lines[1] == "" else 1
    description = lines[index]
    assert description and not description.startswith(("<!--", "#")), "no description line"
    metadata = {}
    index += 1
    while index < len(lines) and not lines[index].startswith("#"):
        line = lines[index]
        index += 1
        if not line:
            continue
        match = METADATA_LINE.fullmatch(line)
        assert match, f"not a metadata line: {line!r}"
        metadata.setdefault(match["key"].strip(), []).append(match["value"].strip())
    return lines[0], description, metadata, "\n".join(lines[index:])


@pytest.fixture(scope="module")
def model_doc():
    return parse(MODEL_DOC)


def test_first_line_is_the_handle(model_doc):
    first_line, _, _, _ = model_doc
    match = re.fullmatch(r"# Module ([a-z\d-]+)/([\w.-]+)/(\d+)", first_line)
    assert match and match.groups() == (PUBLISHER, MODEL_NAME, VERSION)


def test_publisher_page_exists():
    first_line = (DOCS / PUBLISHER / f"{PUBLISHER}.md").read_text().splitlines()[0]
    assert first_line == f"# Publisher {PUBLISHER}"


def test_metadata_keys_and_values(model_doc):
    _, _, metadata, _ = model_doc
    assert REQUIRED <= metadata.keys(), f"missing {REQUIRED - metadata.keys()}"
    unknown = metadata.keys() - REQUIRED - OPTIONAL
    assert not unknown, f"unknown metadata keys {unknown}"
    for key, values in metadata.items():
        assert key in REPEATABLE or len(values) == 1, f"{key} repeated"
    assert metadata["format"] == ["saved_model_2"]
    assert metadata["fine-tunable"] == ["true"]
    assert set(metadata["task"]) <= TASKS
    assert metadata["asset-path"][0].endswith(".tar.gz")
    assert set(metadata.get("license", [])) <= LICENSES


def test_body_has_the_sections_consumers_need(model_doc):
    _, _, _, body = model_doc
    headings = re.findall(r"^## (.+)$", body, flags=re.MULTILINE)
    assert headings == [
        "Overview", "Inputs and outputs", "Example use", "Fine-tuning", "Export facts", "Changelog",
    ]
    assert f"### Version {VERSION}" in body


def test_export_facts_are_those_of_the_export(export_dir, source_model, inputs):
    """The doc's generated block states what the session's export is (all but its package)."""
    assert DOC == MODEL_DOC == kaggle_metadata.DOC, "export writes another doc than this one"
    facts = collect(source_model, export_dir, HYPERPARAMETERS, inputs)
    try:
        stale = stale_lines(facts, MODEL_DOC)
    except DocError as error:
        pytest.fail(str(error), pytrace=False)
    if stale:
        pytest.fail("\n".join(stale), pytrace=False)


def stated(shape, text):
    """Whether `text` states `shape` as `[batch, 64, 64, 3]`, naming each dimension of
    any size as it likes (`[batch, height, width, 3]`)."""
    dims = [r"\w+" if dim is None else str(dim) for dim in shape[1:]]
    return re.search(r"`\[" + ", ".join(["batch", *dims]) + r"\]`", text) is not None


def shape_text(shape):
    """`[batch, 64, 64, 3]`; a name of your choice for each None."""
    return "`[" + ", ".join(str(dim) for dim in ["batch", *shape[1:]]) + "]`" + (
        ", a name of your choice for each None" if None in shape[1:] else ""
    )


@pytest.fixture(scope="module")
def loaded(export_dir):
    """The export, loaded; no test calls it, so its variables keep their exported values."""
    return tf.saved_model.load(str(export_dir))


def test_inputs_and_outputs_match_the_model(model_doc, loaded):
    _, _, _, body = model_doc
    section = body.split("## Inputs and outputs", 1)[1].split("\n## ", 1)[0]
    signature = loaded.signatures["serving_default"]
    specs = signature.structured_input_signature[1]
    for name, spec in specs.items():  # Every input the export takes, by name.
        assert stated(spec.shape, section), (
            f"say that input `{name}` has shape {shape_text(spec.shape)} (Inputs and outputs)"
        )
        assert spec.dtype.name in section, f"say that input `{name}` is {spec.dtype.name}"
        assert f"`{name}`" in section, f"name input `{name}` in Inputs and outputs"
    if len(specs) == 1:
        assert f"takes `{next(iter(specs))}`" in section
    assert OUTPUT_KEY in signature.structured_outputs
    for name, output in signature.structured_outputs.items():
        assert stated(output.shape, section), (
            f"say that output {name!r} has shape {shape_text(output.shape)} (Inputs and outputs)"
        )
        assert f'"{name}"' in section, f'name output "{name}" in Inputs and outputs'


def example_section():
    """The text of the model doc's "Example use" section."""
    _, _, _, body = parse(MODEL_DOC)
    return body.split("## Example use", 1)[1].split("\n## ", 1)[0]


def example_snippets():
    """The Python code blocks of the model doc's "Example use" section."""
    return re.findall(r"```python\n(.*?)```", example_section(), flags=re.DOTALL)


def test_the_docs_verify_command_verifies_the_export(export_dir, signing_keys):
    """Consumers have model-signing, not this project: its CLI, as the doc writes it, verifies."""
    commands = re.findall(r"```shell\n(model_signing verify [^\n]*)\n```", example_section())
    assert commands, "show consumers how to verify a download first: model_signing verify key ..."
    for command in commands:
        command = command.replace("path/to/saved_model", str(export_dir))
        command = command.replace("publisher.pub", str(signing_keys["publisher"][1]))
        result = subprocess.run(
            [sys.executable, "-m", *shlex.split(command)], capture_output=True, text=True,
            check=False,
        )
        assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
        assert "Verification succeeded" in result.stdout


# How the example that fine-tunes is told from the others.
FINE_TUNING = "trainable=True"


def test_every_consumer_has_an_example():
    code = "\n".join(example_snippets())
    for consumer in ("hub.load", "hub.KerasLayer", "keras.layers.TFSMLayer"):
        assert consumer in code
    assert FINE_TUNING in code, "no example fine-tunes: show hub.KerasLayer(..., trainable=True)"
    assert ("TFLiteConverter" in code) != (NO_TFLITE in example_section()), (
        f"show a TFLite example (TFLiteConverter), or, for a model TFLite cannot run, "
        f"say `{NO_TFLITE}` and why: one of the two (test_serving.py checks which is true)"
    )


def test_keras_layer_examples_pick_an_output_exactly_when_the_model_returns_a_dict(loaded):
    # hub.KerasLayer returns what __call__ does: a dict, unless given output_key, which
    # it refuses for a single Tensor.
    outputs = loaded.__call__.concrete_functions[0].structured_outputs
    calls = re.findall(r"hub\.KerasLayer\(([^()]*)\)", "\n".join(example_snippets()))
    assert calls, "no hub.KerasLayer(...) call in the examples"
    if isinstance(outputs, dict):
        assert all("output_key=" in call for call in calls), (
            f"the model returns a dict ({', '.join(sorted(outputs))}): pass hub.KerasLayer "
            f'output_key="{OUTPUT_KEY}" (or another of them) in the examples'
        )
    else:
        assert not any("output_key=" in call for call in calls), (
            "the model returns one Tensor: hub.KerasLayer takes no output_key"
        )


def test_keras_inputs_of_the_examples_have_the_models_input_shape():
    inputs = re.findall(r"\.Input\(\s*[\[(]([^\])]*)[\])]", "\n".join(example_snippets()))
    assert inputs, "no example builds a Keras model on an Input"
    # Of several inputs, each Input is one of them.
    expected = [spec.shape[1:] for spec in tf.nest.flatten(INPUT_SIGNATURE)]
    for dims in inputs:
        shape = [None if dim == "None" else int(dim) for dim in re.findall(r"\w+", dims)]
        assert any(tf.TensorShape(shape).is_compatible_with(taken) for taken in expected), (
            f"an example's Input({dims.strip() or '[]'}) does not take the model's inputs: "
            f"shape {' or '.join(str(taken.as_list()) for taken in expected)} without the "
            "batch dimension"
        )


def snippet_indices(fine_tuning):
    return [
        index for index, code in enumerate(example_snippets())
        if (FINE_TUNING in code) == fine_tuning
    ]


def check_arguments(index, code):
    """Fails in one line if the example passes `arguments=` other than the model's hyperparameters.

    The export traces its call for exactly those; any other name fails in
    TensorFlow's ten lines of "Could not find matching concrete function".
    """
    for given in re.findall(r"arguments=(\{[^{}]*\})", code):
        unknown = set(ast.literal_eval(given)) - HYPERPARAMETERS.keys()
        if unknown:
            pairs = ", ".join(
                f'"{name}": {float(value)!r}' for name, value in HYPERPARAMETERS.items()
            )
            write = "write arguments={" + pairs + "}" if pairs else "remove arguments="
            pytest.fail(
                f"example {index + 1} passes arguments={given}, but the model takes no "
                f"{', '.join(sorted(unknown))} (HYPERPARAMETERS in model.py): {write}",
                pytrace=False,
            )


def run_snippet(index, export_dir, dataset):
    """Runs the doc's example `index` on the export; returns the names it defined."""
    inputs, labels = dataset
    check_arguments(index, example_snippets()[index])
    code = example_snippets()[index].replace("path/to/saved_model", str(export_dir))
    namespace = {INPUTS_NAME: inputs, "labels": labels}
    try:
        with keras_defaults():  # As in the process of a reader, who runs no model.py.
            exec(compile(code, f"{MODEL_DOC.name} example {index + 1}", "exec"), namespace)
    except Exception as error:  # TFLite's ConverterError has no public name.
        flex_ops, custom_ops = refused_ops(error)
        if not flex_ops and not custom_ops:
            raise
    else:
        return namespace
    # Out of the except block: the converter's own message is pages of its IR.
    if custom_ops:
        pytest.fail(
            f"example {index + 1} converts with TFLite, which has no kernel for "
            f"{', '.join(custom_ops)}, builtin or TensorFlow's; only a custom TFLite op "
            "would run it (tensorflow/tensorflow#42673): replace the example with "
            f"`{NO_TFLITE}` and why (README)",
            pytrace=False,
        )
    pytest.fail(
        f"example {index + 1} converts with TFLite's builtin kernels, which cannot run "
        f"{', '.join(flex_ops)}: enable TensorFlow ops, converter.target_spec.supported_ops "
        "= [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS] (README)",
        pytrace=False,
    )


@pytest.mark.parametrize("index", snippet_indices(fine_tuning=False))
def test_example_snippet_runs(index, export_dir, dataset):
    namespace = run_snippet(index, export_dir, dataset)
    # One output, or a dict of them (`model(images)` of a model that returns one).
    for output in tf.nest.flatten(namespace.get("outputs", [])):
        assert np.asarray(output).shape[0] == batch_size(dataset[0])


@pytest.mark.parametrize("index", snippet_indices(fine_tuning=True))
def test_fine_tuning_example_trains_every_weight(
    index, export_dir, dataset, loaded, training_source_model
):
    """The hub.KerasLayer example, run as written, fine-tunes the whole export.

    Batch-norm statistics (and RNG state) move in training mode although nothing
    trains them: in the export exactly when they do in the source model.
    """
    # What the example starts from: the export's weights, as `loaded` (never called) holds them.
    trainable_before, frozen_before = map(variable_values, as_keras_layer_lists(loaded))
    # One batch of the example's size: a step changes every weight as two would.
    batch = tuple(first(part, 16) for part in dataset)
    namespace = run_snippet(index, export_dir, batch)
    layers = [layer for layer in namespace["model"].layers if isinstance(layer, hub.KerasLayer)]
    assert len(layers) == 1, "the fine-tuning example's `model` should hold one hub.KerasLayer"
    (layer,) = layers
    shapes = [tuple(weight.shape) for weight in layer.trainable_weights]
    assert [value.shape for value in trainable_before] == shapes, "weights in another order"
    assert all(changed(trainable_before, layer.trainable_weights)), "every weight should train"
    # Not the variables' own `trainable` flags: a frozen Keras 3 layer's weights keep theirs.
    frozen = layer.non_trainable_weights
    moved = training_moves_non_trainable_state(training_source_model, batch[0])
    assert any(changed(frozen_before, frozen)) == moved
