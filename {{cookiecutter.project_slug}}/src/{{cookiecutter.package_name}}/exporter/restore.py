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

import keras
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.checkpoint import (
    layers,
    model_checkpoint,
    rng_states,
)
from {{ cookiecutter.package_name }}.exporter.checkpoint_contents import (
    checkpointed_variables,
    keys_by_root_child,
    left_behind,
    unrestored,
)
from {{ cookiecutter.package_name }}.exporter.errors import first_line
from {{ cookiecutter.package_name }}.exporter.keras_weights import (
    KERAS_FILES,
    missing_keras_entries,
)
from {{ cookiecutter.package_name }}.exporter.model_checks import (
    BUILD_EVERY_VARIABLE,
    unbuilt_reason,
    unrestorable_reason,
)
from {{ cookiecutter.package_name }}.exporter.report import format_fields


class RestoreError(Exception):
    """The source does not hold the model's weights; nothing was restored."""


@dataclasses.dataclass(frozen=True)
class Restored:
    """What `restore` read, and what it left behind."""

    source: str
    num_variables: int
    left_behind: dict  # Top-level checkpoint key -> number of values not exported.
    not_restored: tuple = ()  # Names of the model's variables the source has no value for.

    def fields(self):
        """The export report's line for the restore (`report.py` lays it out)."""
        left = ", ".join(f"{key} ({count})" for key, count in self.left_behind.items())
        line = (
            f"{self.num_variables - len(self.not_restored)} variables of "
            f"`model` from {self.source}; not exported: {left or 'nothing'}"
        )
        if self.not_restored:
            line += f"; kept as built (RNG state): {', '.join(self.not_restored)}"
        return [("restored", line)]

    def __str__(self):
        return format_fields(self.fields())


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

    `restore` checks first (`model_checks.unbuilt_reason` says why); `train`
    checks too, so that no one trains a model whose checkpoint the export would
    refuse.
    """
    reason = unbuilt_reason(model)
    if reason:
        raise RestoreError(reason)


def restore(model, source):
    """Restores every variable of `model` from `source` (see the module docstring)."""
    reason = unrestorable_reason(model)
    if reason:
        raise RestoreError(reason)
    path = find_source(source)
    if path.endswith(KERAS_FILES):
        return _restore_keras_file(model, path)
    return _restore_checkpoint(model, path)


def _restore_checkpoint(model, path):
    try:
        status = model_checkpoint(model=model).read(path)
        status.assert_existing_objects_matched()
    except (AssertionError, ValueError) as error:
        unmatched = unrestored(model, path)
        detail = f"unmatched: {', '.join(unmatched[:5])}" if unmatched else _reason(error)
        raise RestoreError(f"checkpoint {path} does not match the model; {detail}") from None
    except tf.errors.OpError as error:  # Checksums, truncation: the files are damaged.
        raise RestoreError(
            f"checkpoint {path} cannot be read ({_reason(error)}); restore it from a copy "
            "or train again"
        ) from None
    status.expect_partial()
    keys = keys_by_root_child(path)
    # Every variable of the model found its value; no value of `model` may be left
    # over either. Left over, it belongs to a variable the model lacks: another
    # architecture, or one a lazily built model creates in its first call, which
    # would then be exported as initialized.
    weights = sum(key.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for key in keys.get("model", ()))
    variables = len(checkpointed_variables(model))
    if weights > variables:
        raise RestoreError(
            f"checkpoint {path} holds {weights} weights of `model`, the model has "
            f"{variables} variables: {BUILD_EVERY_VARIABLE}, or restore the checkpoint of "
            "this architecture"
        )
    _finalize_state(model)
    return Restored(path, len(model.variables), left_behind(keys))


def _restore_keras_file(model, path):
    if isinstance(model, keras.Model):
        # Keras 3 warns and keeps fresh weights where a file lacks a nested
        # container's group; compare the file's entries with the model's first.
        missing = missing_keras_entries(model, path)
        if missing:
            raise RestoreError(
                f"weights file {path} does not match the model; missing or of another shape: "
                f"{', '.join(missing[:5])}"
            )
    try:
        model.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        raise RestoreError(
            f"weights file {path} does not match the model; Keras says: {_reason(error)}"
        ) from None
    rng = {id(variable) for variable in rng_states(model)}
    not_restored = tuple(variable.name for variable in model.variables if id(variable) in rng)
    return Restored(path, len(model.variables), {}, not_restored)


def _reason(error):
    # Two lines: Keras 3's first only announces the reason ("could not be loaded").
    return first_line(error, lines=2, limit=400)


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
