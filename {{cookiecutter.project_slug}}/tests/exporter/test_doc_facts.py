"""The model doc's export facts follow the model: change one fact and the stale line is named.

Small models of both Keras flavours and a `tf.Module`, each saved through
`ReusableModule`, stand for a model before and after one change; what the doc
test does with your model is tested on your model (tests/your_model/test_model_doc.py).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from {{ cookiecutter.package_name }}.exporter.doc_facts import (
    END,
    START,
    rewrite,
    stale_lines,
)
from {{ cookiecutter.package_name }}.exporter.model_facts import collect
from {{ cookiecutter.package_name }}.exporter.reusable import ReusableModule, save_reusable
from {{ cookiecutter.package_name }}.exporter.tflite import convert
from {{ cookiecutter.package_name }}.exporter.tflite_ops import tflite_needs

SIGNATURE = tf.TensorSpec([None, 4], tf.float32, name="features")
INPUTS = np.random.default_rng(0).random([4, 4], dtype=np.float32)
PROSE = "# Module my-org/small/1\n\nYour prose, kept byte for byte.\n\n## Export facts\n\n"


def small_model(keras, l2=1e-4, dropout=0.2, momentum=0.99, frozen=False):
    """Dense with an L2 penalty -> batch norm -> dropout -> dense."""
    inputs = keras.Input([4])
    x = keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(l2))(inputs)
    batch_norm = keras.layers.BatchNormalization(momentum=momentum)
    batch_norm.trainable = not frozen
    x = batch_norm(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def facts_of(model, tmp_path, hyperparameters=None):
    """The facts of `model`, saved (about a second, most of it TFLite's converter)."""
    path = tmp_path / f"export-{len(list(tmp_path.iterdir()))}"
    save_reusable(ReusableModule(model, SIGNATURE, "logits", hyperparameters), path)
    return collect(model, path, hyperparameters or {}, INPUTS)


@pytest.fixture(scope="module", params=[keras, tf_keras], ids=["keras3", "tf_keras"])
def flavour(request):
    return request.param


@pytest.fixture(scope="module")
def base_facts(flavour, tmp_path_factory):
    return facts_of(small_model(flavour), tmp_path_factory.mktemp("base"))


@pytest.fixture
def doc(base_facts, tmp_path):
    """A model doc whose block states the facts of `small_model`."""
    path = tmp_path / "1.md"
    path.write_text(PROSE + f"{START}\n{END}\n\n## Changelog\n")
    rewrite(base_facts, path)
    return path


def stale(doc, label):
    """The doc's line number of the `label` fact (1-based)."""
    return 1 + next(
        index for index, line in enumerate(doc.read_text().splitlines())
        if line.startswith(f"- {label}:")
    )


def test_the_block_states_the_model_and_nothing_else_changes(doc, base_facts):
    text = doc.read_text()
    assert text.startswith(PROSE + START + "\n") and text.endswith(f"{END}\n\n## Changelog\n")
    assert "- Weight regularization: L2 0.0001 on `kernel` [4, 8], exported as" in text
    assert "- Dropout and noise layers: Dropout rate 0.2 (1 layer).\n" in text
    assert "- Batch normalization: BatchNormalization momentum 0.99, trained (1 layer).\n" in text
    assert "- Training mode: stochastic (" in text
    # Keras 3's Dropout holds its RNG state in a variable, not trainable; tf_keras' holds none.
    assert "- Variables: 6 trainable (74 parameters), " in text
    assert stale_lines(base_facts, doc) == []


@pytest.mark.parametrize("change, label, now", [
    ({"dropout": 0}, "Dropout and noise layers", "none"),
    ({"l2": 5e-3}, "Weight regularization", "L2 0.005 on `kernel` [4, 8]"),
    ({"frozen": True}, "Batch normalization", "momentum 0.99, frozen (inference mode"),
])
def test_a_changed_model_finds_the_stale_line(doc, flavour, tmp_path, change, label, now):
    found = stale_lines(facts_of(small_model(flavour, **change), tmp_path), doc)
    (line,) = [line for line in found if f"line {stale(doc, label)} says '- {label}:" in line]
    assert now in line.split("the export says", 1)[1]
    assert "python -m {{ cookiecutter.package_name }}.export --checkpoint_dir" in line
    # Nothing else is claimed stale but what follows from the change: without dropout,
    # training mode is deterministic (and Keras 3 has no RNG state variable); frozen, the
    # batch norm's scale and offset are not trainable.
    follows = {"dropout": ["Training mode", "Variables"], "frozen": ["Variables"]}
    labels = {line.split(" says '- ", 1)[1].split(":", 1)[0] for line in found}
    assert labels - {label} <= set(follows.get(*change, []))


class L1Module(tf.Module):
    """A `tf.Module` with an L1 penalty it computes itself, and noise no layer declares."""

    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable(tf.random.stateless_normal([4, 2], seed=[1, 2]))

    @property
    def losses(self):
        return [0.01 * tf.reduce_sum(tf.abs(self.kernel))]

    def __call__(self, inputs, training=False, noise=0.1):
        outputs = tf.matmul(inputs, self.kernel)
        return outputs + noise * tf.random.normal(tf.shape(outputs)) if training else outputs


def test_a_tf_module_states_its_measured_penalty_and_no_layers(tmp_path):
    facts = facts_of(L1Module(), tmp_path, {"noise": 0.1})
    assert facts["Weight regularization"].startswith("L1 0.01 on `Variable` [4, 2]")
    assert facts["Dropout and noise layers"].startswith("not observable")
    assert facts["Hyperparameters"] == (
        '`noise` 0.1 by default; set with `hub.KerasLayer(..., arguments={"noise": 0.1})`'
    )
    assert facts["Training mode"].startswith("stochastic")


def test_noise_l1l2_and_activity_regularizers_are_stated(flavour, tmp_path):
    inputs = flavour.Input([4])
    x = flavour.layers.GaussianNoise(0.3)(inputs)
    x = flavour.layers.Dense(
        2, kernel_regularizer=flavour.regularizers.L1L2(l1=1e-3, l2=2e-4),
        bias_regularizer=flavour.regularizers.L1(1e-2), activity_regularizer="l2",
    )(x)
    facts = facts_of(flavour.Model(inputs, x), tmp_path)
    assert facts["Dropout and noise layers"] == "GaussianNoise stddev 0.3 (1 layer)"
    # A zero bias (as built) has no gradient to tell its penalty's kind by; a trained one has.
    assert facts["Weight regularization"] == (
        "L1L2 0.001, 0.0002 on `kernel` [4, 2]; kind not measurable (zero weights) on `bias` [2], "
        "exported as `regularization_losses`"
    )
    assert facts["Not exported"] == (
        "1 loss terms computed from each call's inputs (activity regularizers of Dense)"
    )
    assert facts["Batch normalization"] == "none"
    assert facts["Training mode"].startswith("stochastic")


def test_an_op_tflite_cannot_lower_is_named(tmp_path):
    """A tf_keras LSTM's tensor lists: the fact names the Flex ops that keep them, as
    `--tflite_select_ops` converts it, not the converter's source location."""
    inputs = tf_keras.Input((20, 8))
    tf.saved_model.save(tf_keras.Model(inputs, tf_keras.layers.LSTM(4)(inputs)), str(tmp_path))
    # export --tflite_select_ops keeps the tensor lists as Flex ops, as the converter advises.
    flatbuffer, flex_ops = convert(tmp_path, select_ops=True)
    assert flatbuffer and "TensorListReserve" in flex_ops
    assert tflite_needs(tmp_path) == (
        f"needs Select TF ops (the Flex delegate) for {', '.join(sorted(flex_ops))}"
    )
