"""What a `tf.train.Checkpoint` of a model holds: every variable, whatever keeps it.

`tf.train.Checkpoint` finds variables by walking TensorFlow's object graph.
tf_keras layers and `tf.Module`s are part of that graph, lists and dicts of
layers included. Keras 3 objects are only partly: Keras 3 wraps the lists,
dicts and sets a layer holds in its own containers (`TrackedList`, ...), and its
`SeedGenerator` (the RNG state of `Dropout`, `RandomFlip`, `GaussianNoise`, ...)
is no TensorFlow object at all, so a plain checkpoint silently skips the layers
kept in a Python list and every seed-generator state.

`model_checkpoint(model=..., ...)` builds the checkpoint through a view of each
Keras 3 object that adds exactly those children: a container's items (by index
or key) and a seed generator's `state`. What TensorFlow already sees keeps its
name, so a model TensorFlow sees whole gets the same checkpoint keys either way.
`train.py` writes with it and `restore.py` reads with it.
"""

import keras
import tensorflow as tf

_Trackable = tf.__internal__.tracking.Trackable


def model_checkpoint(**objects):
    """A `tf.train.Checkpoint` of `objects` (keyword name -> model, optimizer, ...).

    One view per Keras 3 object, shared by all `objects`: a layer of the
    exported model that the training model also holds is one node, not two.
    """
    views = {}
    return tf.train.Checkpoint(**{name: _view(obj, views) for name, obj in objects.items()})


def trackables(model):
    """Every object a checkpoint of `model` reaches (variables, tables, ...), Keras 3 included."""
    return tf.train.TrackableView(_view(model, {})).descendants()


def keras_objects(model):
    """The Keras 3 objects a checkpoint of `model` reaches: layers, seed generators, containers."""
    return [trackable._obj for trackable in trackables(model) if isinstance(trackable, _KerasView)]


def layers(model):
    """The Keras 3 objects (`keras_objects`) and `tf.Module`s (tf_keras layers) of `model`.

    `model` itself included, each once.
    """
    modules = [model, *model.submodules] if isinstance(model, tf.Module) else []
    return list({id(obj): obj for obj in [*keras_objects(model), *modules]}.values())


def rng_states(model):
    """The variables of `model` that are seed-generator (RNG) state rather than weights."""
    return [
        obj.state for obj in keras_objects(model) if isinstance(obj, keras.random.SeedGenerator)
    ]


class _KerasView(_Trackable):
    """A Keras 3 object as `tf.train.Checkpoint` should see it: with all its children."""

    def __init__(self, obj, views):
        self._obj, self._views = obj, views

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        obj = self._obj
        if isinstance(obj, keras.random.SeedGenerator):
            children = {"state": obj.state}
        elif isinstance(obj, dict):
            children = {str(key): value for key, value in obj.items()}
        elif isinstance(obj, (list, tuple)):
            children = {str(index): value for index, value in enumerate(obj)}
        else:
            children = dict(obj._trackable_children(save_type, **kwargs))
            # What Keras 3 holds outside TensorFlow's graph: containers and seed generators.
            children.update({name: getattr(obj, name) for name in getattr(obj, "_tracked", ())})
            children.update({
                name: value for name, value in vars(obj).items()
                if isinstance(value, keras.random.SeedGenerator)
            })
        viewed = {name: _view(child, self._views) for name, child in children.items()}
        return {name: child for name, child in viewed.items() if child is not None}

    def _lookup_dependency(self, name, cached_dependencies=None):
        if cached_dependencies:
            return cached_dependencies.get(name)
        return self._trackable_children().get(name)


def _view(obj, views):
    """`obj` as the checkpoint sees it: a view for Keras 3 objects, others as they are.

    Sets have no order that two processes share, so a set's items are not
    checkpointed (and `restore.py` refuses a model that keeps variables in one).
    """
    if isinstance(obj, keras.Variable):
        return obj  # A Keras 3 variable checkpoints its tf.Variable.
    # Keras 3 objects, the lists and dicts they hold, and a tf.Module that may hold
    # Keras 3 layers; tf_keras objects are part of TensorFlow's graph already.
    keras_3 = isinstance(obj, (keras.layers.Layer, keras.random.SeedGenerator, list, tuple, dict))
    if keras_3 or (isinstance(obj, tf.Module) and not _is_tf_keras(obj)):
        if id(obj) not in views:
            views[id(obj)] = _KerasView(obj, views)
        return views[id(obj)]
    return obj if isinstance(obj, _Trackable) else None


def _is_tf_keras(obj):
    return any(cls.__module__.startswith("tf_keras.") for cls in type(obj).__mro__)
