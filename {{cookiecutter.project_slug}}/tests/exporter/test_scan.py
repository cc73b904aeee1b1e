"""The scan passes clean exports and refuses SavedModels that touch files, print or run Python."""

import pytest
import tensorflow as tf
import tf_keras

from {{ cookiecutter.package_name }}.exporter.errors import ExportError
from {{ cookiecutter.package_name }}.exporter.op_allowlist import (
    MODEL_OPS,
    SAVER_OPS,
    scan_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.reusable import ReusableModule, save_reusable
from {{ cookiecutter.package_name }}.exporter.verified_save import save_verified
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY

from stand_in import StandIn


class Tampered(tf.Module):
    """A model whose call also runs `side_effect`, as a malicious upload would."""

    def __init__(self, side_effect):
        super().__init__()
        self.kernel = tf.Variable(tf.ones([3, 2]))
        self.side_effect = side_effect

    @property
    def losses(self):
        return [tf.reduce_sum(tf.square(self.kernel))]

    def __call__(self, inputs, training=False):
        self.side_effect(inputs)
        return tf.matmul(inputs, self.kernel)


def leak(inputs):
    tf.io.write_file("/tmp/leaked.txt", tf.strings.as_string(inputs[0, 0]))


def peek(inputs):
    tf.io.read_file("/etc/hostname")


def shout(inputs):
    tf.print(inputs)


def call_python(inputs):
    tf.py_function(lambda x: x, [inputs], tf.float32)


def hidden_in_a_branch(inputs):
    tf.cond(inputs[0, 0] > 0, lambda: leak(inputs) or tf.constant(0), lambda: tf.constant(1))


def save_a_checkpoint(inputs):
    # The SaveV2 op that save functions use, smuggled into the model's own call.
    tf.raw_ops.SaveV2(prefix="/tmp/stolen", tensor_names=["x"], shape_and_slices=[""],
                      tensors=[inputs])


def read_a_file_into_a_table(inputs):
    # A lookup table may read only the SavedModel's own assets, not a path in the graph.
    table = tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64)
    tf.raw_ops.InitializeTableFromTextFileV2(
        table_handle=table, filename="/etc/hostname", key_index=-2, value_index=-1
    )


@pytest.mark.parametrize(
    ("side_effect", "op"),
    [
        (leak, "WriteFile"),
        (peek, "ReadFile"),
        (shout, "PrintV2"),
        (call_python, "EagerPyFunc"),
        (hidden_in_a_branch, "WriteFile"),
        (save_a_checkpoint, "SaveV2"),
        (read_a_file_into_a_table, "InitializeTableFromTextFileV2"),
    ],
)
def test_unsafe_ops_are_refused_with_their_place(tmp_path, side_effect, op):
    module = ReusableModule(Tampered(side_effect), tf.TensorSpec([None, 3], tf.float32), "y")
    save_reusable(module, tmp_path)
    findings = scan_saved_model(tmp_path)
    assert op in {finding.op for finding in findings}
    message = str(next(finding for finding in findings if finding.op == op))
    assert message.startswith(op) and " in function " in message


def test_a_clean_export_passes_and_the_command_says_so(tmp_path, run_command):
    # Your export passed this scan when it was exported: the export refuses an unsafe op.
    save_reusable(ReusableModule(StandIn(), INPUT_SIGNATURE, OUTPUT_KEY), tmp_path)
    assert scan_saved_model(tmp_path) == []
    status, printed = run_command("scan", tmp_path)
    assert status == 0
    assert printed == f"{tmp_path}: clean (every op is on the allowlist)\n"


def test_the_allowlist_names_ops_tensorflow_has():
    # A misspelt name would allow nothing, and the op it meant would be refused.
    unknown = sorted(op for op in SAVER_OPS if not hasattr(tf.raw_ops, op))
    assert not unknown
    assert MODEL_OPS < SAVER_OPS


class Uncommon(StandIn):
    """A model with an op that computes but is not on the allowlist (yet)."""

    def __call__(self, inputs, training=False, **hyperparameters):
        output = super().__call__(inputs, training, **hyperparameters)
        return output + tf.reduce_sum(tf.raw_ops.Empty(shape=[1], dtype=tf.float32, init=True))


def test_export_refusal_of_an_unlisted_op_says_where_to_list_it(tmp_path):
    with pytest.raises(ExportError) as refused:
        save_verified(Uncommon(), tmp_path, verify=verify_saved_model)
    message = str(refused.value)
    assert message.startswith("unsafe op in the SavedModel: Empty (is not on the allowlist)")
    assert message.endswith(
        "; if it only computes, add it to MODEL_OPS in exporter/op_allowlist.py"
    )


def test_a_masked_tf_keras_recurrent_layer_passes(tmp_path):
    # Given a mask, tf_keras' GRU picks cuDNN or its plain kernel in a cond, and the
    # SavedModel keeps the cond's gradient functions: cuDNN, Optional* and *Grad ops.
    ids = tf_keras.Input([None], dtype="int32")
    tokens = tf_keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    model = tf_keras.Model(ids, {"y": tf_keras.layers.GRU(3)(tokens)})
    save_reusable(ReusableModule(model, tf.TensorSpec([None, None], tf.int32), "y"), tmp_path)
    assert scan_saved_model(tmp_path) == []

