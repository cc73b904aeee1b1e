"""Put trained weights into `build_model()`, strictly, and say what was left behind.

`restore(model, source)` reads `source`, which is one of

- a checkpoint directory (its latest checkpoint) or a checkpoint path
  (`dir/ckpt-3`), holding the model under the key `model`: what `train.py`
  writes, or your own training code with
  `checkpoint.model_checkpoint(model=model, ...).save(...)`;
- a file that Keras' own saving wrote: `.keras` or `.weights.h5` (Keras 3),
  `.h5` (tf_keras), read with the model's `load_weights`.

Strict: a missing source, one that lacks any variable of the model, or a
checkpoint with weights the model has no variable for, is an error that names
what did not match; the model is never exported with freshly initialized
weights. Keras weight files hold no seed-generator (RNG) state; `Restored`
names those variables, which keep their initial state.

Then each layer recomputes what it derives from its restored variables, as
Keras' own loading has it do (`finalize_state`): an adapted `Normalization`
computes with the mean and variance it was trained with, not those it was
built with.
"""

import dataclasses
import io
from pathlib import Path
import tempfile
import zipfile

import h5py
import keras
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from {{ cookiecutter.package_name }}.exporter.checkpoint import (
    keras_objects,
    layers,
    model_checkpoint,
    rng_states,
    trackables,
)
from {{ cookiecutter.package_name }}.exporter.reusable import tf_variable

KERAS_FILES = (".keras", ".weights.h5", ".h5")
BUILD_EVERY_VARIABLE = (
    "build every variable in build_model() (start a Sequential with keras.Input(shape), build "
    "a functional model from it, or call a subclassed model once on a batch)"
)


class RestoreError(Exception):
    """The source does not hold the model's weights; nothing was restored."""


@dataclasses.dataclass(frozen=True)
class Restored:
    """What `restore` read, and what it left behind."""

    source: str
    num_variables: int
    left_behind: dict  # Top-level checkpoint key -> number of values not exported.
    not_restored: tuple = ()  # Names of the model's variables the source has no value for.

    def __str__(self):
        left = ", ".join(f"{key} ({count})" for key, count in self.left_behind.items())
        line = (
            f"restored:              {self.num_variables - len(self.not_restored)} variables of "
            f"`model` from {self.source}; not exported: {left or 'nothing'}"
        )
        if self.not_restored:
            line += f"; kept as built (RNG state): {', '.join(self.not_restored)}"
        return line


def find_source(source):
    """The checkpoint path or Keras weights file that `restore` reads for `source`.

    Reads no weights: `export` calls it before building the model, so that a
    mistyped path is refused at once, and restores from the path it returns, so
    that a checkpoint written meanwhile does not change what is exported.
    Raises:
      RestoreError: `source` holds no checkpoint and is no weights file.
    """
    source = str(source)
    if source.endswith(KERAS_FILES):
        if not tf.io.gfile.exists(source):
            raise RestoreError(f"no weights file {source}")
        return source
    path = tf.train.latest_checkpoint(source)
    if path is None and tf.io.gfile.exists(f"{source}.index"):
        path = source
    if path is None:
        raise RestoreError(f"no checkpoint found in {source}")
    return path


def check_built(model):
    """Raises `RestoreError` if `model` creates its variables in its first call, not before.

    A Keras model with no `keras.Input` (a Sequential without one, a subclassed
    model) is built by its first call. Restored before that, it has none of its
    weights, or only its seed generators' (a `Dropout`'s, made with the layer):
    the export's trace would create the others, initialized, and the
    checkpoint's would go unused. `train` checks first too, so that no one
    trains a model whose checkpoint the export would refuse.
    """
    try:
        model.variables  # noqa: B018 (tf_keras raises for a model its first call has not built)
    except ValueError:
        built = False
    else:
        built = getattr(model, "built", True)  # A tf.Module has its variables when built.
    if not built:
        raise RestoreError(f"the model has no variables yet: {BUILD_EVERY_VARIABLE}")


def restore(model, source):
    """Restores every variable of `model` from `source` (see the module docstring)."""
    check_built(model)
    untracked = _untracked_variables(model)
    if untracked:
        raise RestoreError(
            f"{len(untracked)} variables of the model are out of reach of any checkpoint "
            f"({', '.join(untracked[:5])}); keep layers and variables in attributes, lists or "
            "dicts, not in sets or non-TensorFlow objects"
        )
    empty = _layers_without_vocabulary(model)
    if empty:
        raise RestoreError(
            f"layer {empty[0]!r} has no vocabulary, and no checkpoint or weights file holds one "
            "(an adapted vocabulary is not a variable); pass vocabulary= (a list or a file) to "
            "it in build_model()"
        )
    unbinned = _discretizations_without_boundaries(model)
    if unbinned:
        raise RestoreError(
            f"layer {unbinned[0]!r} has no bin boundaries, and no checkpoint or weights file "
            "holds them (adapted boundaries are not variables); pass bin_boundaries= to it in "
            "build_model()"
        )
    path = find_source(source)
    if path.endswith(KERAS_FILES):
        return _restore_keras_file(model, path)
    try:
        status = model_checkpoint(model=model).read(path)
        status.assert_existing_objects_matched()
    except (AssertionError, ValueError) as error:
        unmatched = _unrestored(model, path)
        detail = f"unmatched: {', '.join(unmatched[:5])}" if unmatched else _first_line(error)
        raise RestoreError(f"checkpoint {path} does not match the model; {detail}") from None
    except tf.errors.OpError as error:  # Checksums, truncation: the files are damaged.
        raise RestoreError(
            f"checkpoint {path} cannot be read ({_first_line(error)}); restore it from a copy "
            "or train again"
        ) from None
    status.expect_partial()
    keys = _keys_by_root_child(path)
    exported = keys.pop("model", set())
    # Every variable of the model found its value; no value of `model` may be left
    # over either. Left over, it belongs to a variable the model lacks: another
    # architecture, or one a lazily built model creates in its first call, which
    # would then be exported as initialized.
    weights = sum(key.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for key in exported)
    variables = len(_checkpointed_variables(model))
    if weights > variables:
        raise RestoreError(
            f"checkpoint {path} holds {weights} weights of `model`, the model has "
            f"{variables} variables: {BUILD_EVERY_VARIABLE}, or restore the checkpoint of "
            "this architecture"
        )
    _finalize_state(model)
    keys.pop("save_counter", None)
    # Each value left behind is counted once; the optimizer, which also lists the
    # weights it updates, last.
    left_behind, counted = {}, set(exported)
    for name, found in sorted(keys.items(), key=lambda item: item[0] == "optimizer"):
        if found - counted:
            left_behind[name] = len(found - counted)
            counted |= found
    return Restored(path, len(model.variables), left_behind)


def _restore_keras_file(model, path):
    if isinstance(model, keras.Model):
        # Keras 3 warns and keeps fresh weights where a file lacks a nested
        # container's group; compare the file's entries with the model's first.
        missing = _missing_keras_entries(model, path)
        if missing:
            raise RestoreError(
                f"weights file {path} does not match the model; missing or of another shape: "
                f"{', '.join(missing[:5])}"
            )
    try:
        model.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        raise RestoreError(
            f"weights file {path} does not match the model; Keras says: {_first_line(error)}"
        ) from None
    rng = {id(variable) for variable in rng_states(model)}
    not_restored = tuple(variable.name for variable in model.variables if id(variable) in rng)
    return Restored(path, len(model.variables), {}, not_restored)


def _finalize_state(model):
    """Calls `finalize_state()` of every layer that has weights, as Keras does after loading them.

    A checkpoint assigns variables, nothing else. Keras preprocessing layers keep
    constants derived from theirs: `Normalization` reshapes `adapt_mean` and
    `adapt_variance` into the mean and variance its `call` uses, once, in
    `finalize_state()`. Keras' loaders call it after assigning a layer's weights
    (`Normalization.load_own_variables`; the H5 loader, for every layer with
    weights); without it, the layer would go on computing with the statistics it
    was built with (zeros and ones), and the export and its verification with it.
    """
    for layer in layers(model):
        if hasattr(layer, "finalize_state") and getattr(layer, "weights", None):
            layer.finalize_state()


def _missing_keras_entries(model, path):
    """Keras weight-file entries (`layers/dense/vars/0`) of `model` that `path` lacks."""
    with tempfile.TemporaryDirectory() as scratch:
        own = Path(scratch) / "model.weights.h5"
        model.save_weights(own)
        expected = _h5_shapes(own)
    with tf.io.gfile.GFile(path, "rb") as file:
        data = io.BytesIO(file.read())
    if path.endswith(".keras"):
        with zipfile.ZipFile(data) as archive:
            data = io.BytesIO(archive.read("model.weights.h5"))
    found = _h5_shapes(data)
    return sorted(name for name, shape in expected.items() if found.get(name) != shape)


def _h5_shapes(file):
    shapes = {}
    with h5py.File(file, "r") as weights:
        weights.visititems(
            lambda name, item: shapes.update({name: item.shape})
            if isinstance(item, h5py.Dataset) else None
        )
    return shapes


def _first_line(error):
    lines = [line for line in str(error).splitlines() if line.strip()] or [type(error).__name__]
    return " ".join(lines[:2])[:400]


def _reader(path):
    """A reader of the checkpoint `path` (`dir/ckpt-3`).

    Not `tf.train.load_checkpoint`: it takes `path` for a directory wherever the
    filesystem says it is one, and `ram://` says so of every prefix of a file name.
    """
    return tf.compat.v1.train.NewCheckpointReader(path)


def _keys_by_root_child(path):
    """{name: checkpoint keys of the values reachable from the root's child `name`}.

    Read from the checkpoint's object graph, not from key prefixes: a value
    reachable by several paths (a model's weight, also listed by the optimizer)
    is stored under only one of them.
    """
    reader = _reader(path)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    found = {}
    parts = {child.node_id for child in graph.nodes[0].children}
    for child in graph.nodes[0].children:
        # Not into the other parts: a training model also holds its optimizer.
        keys, seen, pending = set(), parts - {child.node_id}, [child.node_id]
        while pending:
            node_id = pending.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = graph.nodes[node_id]
            keys.update(attribute.checkpoint_key for attribute in node.attributes)
            pending.extend(reference.node_id for reference in node.children)
            pending.extend(slot.slot_variable_node_id for slot in node.slot_variables)
        found[child.local_name] = keys
    return found


def _layers_without_vocabulary(model):
    """Names of Keras lookup layers (TextVectorization, StringLookup, ...) built without one.

    Keras 3 and tf_keras alike: neither checkpoints an adapted vocabulary (a
    tf_keras one stays empty after a restore, and its table uninitialized).
    """
    return [
        layer.name for layer in layers(model)
        if hasattr(layer, "get_vocabulary")
        and not layer.get_vocabulary(include_special_tokens=False)
    ]


def _discretizations_without_boundaries(model):
    """Names of Keras 3 Discretization layers built without bin boundaries (to be adapted)."""
    return [
        obj.name for obj in keras_objects(model)
        if isinstance(obj, keras.layers.Discretization) and obj.bin_boundaries is None
    ]


def _untracked_variables(model):
    """Names of the model's variables that no checkpoint of it reaches (and so never restores)."""
    reachable = set()
    for trackable in trackables(model):
        reachable |= {id(trackable), id(tf_variable(trackable))}
    return [
        variable.name for variable in model.variables
        # tf_keras lists a lookup layer's vocabulary among its weights, for its H5
        # files, as a handler that is no variable (`VocabWeightHandler`).
        if isinstance(tf_variable(variable), tf.Variable)
        and id(variable) not in reachable and id(tf_variable(variable)) not in reachable
    ]


def _checkpointed_variables(model):
    """The distinct `tf.Variable`s a checkpoint of `model` holds."""
    variables = (tf_variable(trackable) for trackable in trackables(model))
    return {id(variable): variable for variable in variables if isinstance(variable, tf.Variable)}


def _unrestored(model, path):
    """Names of the model's variables the checkpoint holds no value of the right shape for."""
    shapes = _reader(path).get_variable_to_shape_map()
    stored = {tuple(shapes[key]) for key in _keys_by_root_child(path).get("model", ())}
    return [
        variable.name for variable in model.variables if tuple(variable.shape) not in stored
    ] or ["model/ (the checkpoint's object graph has another structure)"]
