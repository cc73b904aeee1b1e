"""The names a SavedModel records for its variables: distinct, whatever the model named them.

`reusable.save_reusable` saves under `distinct_names`. A consumer's own saves
key weights by these names (tf_keras' HDF5 format), and refuse a name twice.
"""

import contextlib


@contextlib.contextmanager
def distinct_names(variables):
    """Names the variables that share a name apart (`kernel:0`, `kernel_1:0`) while they are saved.

    The SavedModel records each variable's name, and a consumer's `hub.KerasLayer`
    lists the loaded variables under it. tf_keras' HDF5 format
    (`save_weights("*.h5")`, a `ModelCheckpoint` to a `.h5` file) stores a
    layer's weights under their names, and refuses a name twice (h5py: "name
    already exists"). Keras 3 names the variables of a subclassed model after
    the model alone (`classifier/kernel`, once per layer), and a `tf.Module`'s
    are named as written. A variable's name has no setter: its handle name is
    set for the save, as TensorFlow would have uniquified it in a graph, and put
    back after. Only the recorded names change; the checkpoint keys do not.
    """
    taken = {variable.name for variable in variables}
    seen, renamed = set(), []
    for variable in variables:
        name = variable.name
        if name in seen and hasattr(variable, "_handle_name"):  # A ResourceVariable.
            base, index = name.removesuffix(":0"), 1
            while f"{base}_{index}:0" in taken:
                index += 1
            renamed.append((variable, name))
            variable._handle_name = f"{base}_{index}:0"  # noqa: SLF001 (see the docstring)
            taken.add(variable.name)
        seen.add(variable.name)
    try:
        yield
    finally:
        for variable, name in renamed:
            variable._handle_name = name  # noqa: SLF001
