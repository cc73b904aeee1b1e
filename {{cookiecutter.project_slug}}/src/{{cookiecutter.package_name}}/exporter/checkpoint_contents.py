"""What a written checkpoint holds, part by part, and what of it a model takes.

`restore.py` reads a checkpoint strictly: every value under `model` must
belong to a variable of the model, and what the export leaves behind (the
optimizer's slots, the training step) is counted for the report.
"""

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from {{ cookiecutter.package_name }}.exporter.checkpoint import trackables
from {{ cookiecutter.package_name }}.exporter.reusable import tf_variable


def _reader(path):
    """A reader of the checkpoint `path` (`dir/ckpt-3`).

    Not `tf.train.load_checkpoint`: it takes `path` for a directory wherever the
    filesystem says it is one, and `ram://` says so of every prefix of a file name.
    """
    return tf.compat.v1.train.NewCheckpointReader(path)


def keys_by_root_child(path):
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


def left_behind(keys):
    """{root child: number of its values not exported}, of `keys_by_root_child`'s `keys`.

    Not `model`, which is exported, nor `save_counter`. Each value left behind
    is counted once; the optimizer, which also lists the weights it updates, last.
    """
    counts, counted = {}, set(keys.get("model", ()))
    for name, found in sorted(keys.items(), key=lambda item: item[0] == "optimizer"):
        if name not in ("model", "save_counter") and found - counted:
            counts[name] = len(found - counted)
            counted |= found
    return counts


def checkpointed_variables(model):
    """The distinct `tf.Variable`s a checkpoint of `model` holds."""
    variables = (tf_variable(trackable) for trackable in trackables(model))
    return {id(variable): variable for variable in variables if isinstance(variable, tf.Variable)}


def unrestored(model, path):
    """Names of the model's variables the checkpoint holds no value of the right shape for."""
    shapes = _reader(path).get_variable_to_shape_map()
    stored = {tuple(shapes[key]) for key in keys_by_root_child(path).get("model", ())}
    return [
        variable.name for variable in model.variables if tuple(variable.shape) not in stored
    ] or ["model/ (the checkpoint's object graph has another structure)"]
