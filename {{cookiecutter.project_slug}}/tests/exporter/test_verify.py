"""The verification gate refuses an artifact that breaks a promise.

The export runs these checks in a fresh process; here they run in this one, and
one test proves that a refusal comes back from the fresh process intact. Your
export passed them when it was exported: the session's export
(tests/exporter/test_export.py) is published only if it does.
"""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import verify
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
from {{ cookiecutter.package_name }}.exporter.fresh_process import verify_in_fresh_process
from {{ cookiecutter.package_name }}.exporter.outputs import (
    ROUNDING_ULPS,
    differing_outputs,
)
from {{ cookiecutter.package_name }}.exporter.reusable import ReusableModule, save_reusable
from {{ cookiecutter.package_name }}.exporter.verify import (
    VerificationError,
    verify_saved_model,
)
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY

from stand_in import StandIn


@pytest.fixture(scope="module")
def stand_in_export(inputs, tmp_path_factory):
    """(path, Expectations) of the stand-in's SavedModel, for the checks of the gate itself.

    How a difference is measured and refused is the same for any model; the
    stand-in loads in a fraction of the time.
    """
    model = StandIn()
    path = tmp_path_factory.mktemp("stand_in") / "saved_model"
    save_reusable(ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY), path)
    return path, Expectations.of_model(model, inputs, OUTPUT_KEY)


def nudged(expected, ulps):
    """`expected` with its main output moved up by `ulps` units of its largest magnitude."""
    outputs = dict(expected.outputs)
    value = outputs[OUTPUT_KEY]
    outputs[OUTPUT_KEY] = value + ulps * np.spacing(np.abs(value).max())
    return dataclasses.replace(expected, outputs=outputs)


def test_outputs_beyond_rounding_are_refused_by_the_fresh_process(stand_in_export):
    path, expected = stand_in_export
    with pytest.raises(
        VerificationError, match=rf"__call__\(inputs\) differs from the model in {OUTPUT_KEY}$"
    ):
        verify_in_fresh_process(path, nudged(expected, 2 * ROUNDING_ULPS))


def test_float_rounding_is_no_difference(stand_in_export):
    # What a graph rewrite of the loaded function may do (see ROUNDING_ULPS).
    path, expected = stand_in_export
    verify_saved_model(path, nudged(expected, ROUNDING_ULPS // 2))


class Labelled(StandIn):
    """The stand-in, also naming a class per example: a string output, as a classifier's may be."""

    def __call__(self, inputs, training=False, **hyperparameters):
        output = super().__call__(inputs, training, **hyperparameters)
        return {OUTPUT_KEY: output, "label": tf.where(output[:, 0] > 0, "positive", "negative")}


def test_string_outputs_are_compared_and_reach_the_fresh_process(inputs, tmp_path):
    model = Labelled()
    save_reusable(ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY), tmp_path / "saved_model")
    expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
    # What the fresh process reads: a NumPy .npz file, which refuses object arrays.
    expected.save(tmp_path / "expected.npz")
    carried = Expectations.load(tmp_path / "expected.npz")
    assert not differing_outputs(carried.outputs, expected.outputs, OUTPUT_KEY)
    verify_saved_model(tmp_path / "saved_model", carried)
    other = np.full(len(inputs), b"other")
    wrong = dataclasses.replace(carried, outputs={**carried.outputs, "label": other})
    with pytest.raises(VerificationError, match=r"differs from the model in label$"):
        verify_saved_model(tmp_path / "saved_model", wrong)


def test_missing_variables_are_refused(stand_in_export):
    path, expected = stand_in_export
    more = dataclasses.replace(expected, num_variables=expected.num_variables + 2)
    with pytest.raises(VerificationError, match="training state leaked in or weights are missing"):
        verify_saved_model(path, more)


def test_untraced_training_mode_is_refused(inputs, tmp_path):
    """A SavedModel whose __call__ was traced for inference only, as a hand-written one might be."""
    model = StandIn()
    module = ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY)
    module.__call__ = tf.function(lambda batch, training=False: model(batch, training=training))
    module.__call__.get_concrete_function(INPUT_SIGNATURE)
    save_reusable(module, tmp_path)
    expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
    with pytest.raises(VerificationError, match="training=True"):
        verify_saved_model(tmp_path, expected)


class NoGradientInTraining(StandIn):
    """The stand-in, its training-mode output through an op that has no gradient registered."""

    def __call__(self, inputs, training=False, **hyperparameters):
        outputs = super().__call__(inputs, training, **hyperparameters)
        if training:  # AdjustContrastv2, which tf_keras's RandomContrast runs; factor 1 keeps it.
            outputs = tf.image.adjust_contrast(outputs[..., None], 1.0)[..., 0]
        return outputs


def test_training_mode_without_gradients_is_refused(inputs, tmp_path):
    # Fine-tuning a loaded function differentiates every op of its trace (gradients.py).
    model = NoGradientInTraining()
    save_reusable(ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY), tmp_path)
    expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
    refusal = r"^fine-tuning cannot .* op AdjustContrastv2 \(tensorflow/tensorflow#126083\); "
    with pytest.raises(VerificationError, match=refusal):
        verify_saved_model(tmp_path, expected)


def package_modules_imported_by(name):
    """This package's modules that importing `name` imports, itself included (by their source).

    Modules are named from the package root: `exporter.verify`, `model`.
    """
    root = Path(verify.__file__).parents[1]

    def source(module):
        return root.joinpath(*module.split(".")).with_suffix(".py")

    seen, pending = set(), [name]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(source(module).read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            top, _, submodule = node.module.partition(".")
            if top != root.name:
                continue
            # from <package>.exporter.verify import ..., from <package>.exporter import cli
            prefix = f"{submodule}." if submodule else ""
            candidates = [submodule, *(prefix + alias.name for alias in node.names)]
            pending += [c for c in candidates if c and source(c).exists()]
    return seen


def test_the_fresh_process_verifier_never_imports_the_model():
    # Whatever model.py imports (a custom op library, Keras registrations) would
    # make a SavedModel load there that loads nowhere else.
    imported = package_modules_imported_by("exporter.fresh_process")
    assert {"exporter.fresh_process", "exporter.verify", "exporter.reusable"} <= imported
    assert "model" not in imported
