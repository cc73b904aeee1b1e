"""What the model doc states about an export, observed from the model and the SavedModel.

`export` collects these facts once the export is verified and writes them into
the model doc's generated block (`doc_facts.py`); the doc test collects them
again for its own export and refuses a doc that says otherwise. Only what the
code observes is a fact: the weight penalties are measured on the export's
`regularization_losses`, not read from the code that declared them, and a
`tf.Module`'s dropout or batch normalization, which no layer declares, is
"not observable" rather than guessed.

Not here: regularization held by the optimizer (AdamW's weight decay, Ftrl's
L1/L2 strengths). The checkpoint keeps no optimizer hyperparameters, and the
doc's prose says that such regularization is lost on export.
"""

import keras
import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.checkpoint import layers
from {{ cookiecutter.package_name }}.exporter.reusable import weight_penalties
from {{ cookiecutter.package_name }}.exporter.tflite_ops import tflite_needs
from {{ cookiecutter.package_name }}.exporter.warmup import warmup_fact

NOT_OBSERVABLE = "not observable: the model is a tf.Module, which declares no layers"
# Keras layers that add noise in training mode, and the attribute that says how much.
NOISE = {"rate": "rate", "stddev": "stddev"}
LISTED = 6  # Weights named per regularization kind; more are counted.


def collect(model, export_dir, hyperparameters, inputs, archive="", sha256=""):
    """{label: text} of the facts the doc's block states, in the order it states them.

    `model` is the restored model the export was saved from, `inputs` a batch it
    takes; the export at `export_dir` is loaded here, on a copy of its own.
    """
    loaded = tf.saved_model.load(str(export_dir))
    keras_model = is_keras(model)
    return {
        # By name: a loaded signature's dict order is not the model's, nor always the same.
        # Every input of a model of several (a dict), as the serving signature names them.
        "Input": "; ".join(
            _spec_text(name, spec) for name, spec in sorted(_signature(loaded).items())
        ),
        "Outputs": "; ".join(
            _spec_text(name, spec) for name, spec in
            sorted(loaded.signatures["serving_default"].structured_outputs.items())
        ),
        "Variables": _variables_text(loaded),
        "Weight regularization": _penalties_text(loaded, model),
        "Not exported": _input_losses_text(model, inputs),
        "Dropout and noise layers": _noise_text(model) if keras_model else NOT_OBSERVABLE,
        "Batch normalization": _batch_norm_text(model) if keras_model else NOT_OBSERVABLE,
        "Hyperparameters": _hyperparameters_text(hyperparameters),
        "Training mode": _training_mode_text(loaded, inputs),
        "TF Serving warmup": warmup_fact(export_dir),
        "TFLite": tflite_needs(export_dir),
        "Artifact": _artifact_text(export_dir, archive, sha256),
    }


def _signature(loaded):
    _, inputs = loaded.signatures["serving_default"].structured_input_signature
    return inputs


def _spec_text(name, spec):
    dims = ", ".join(str(dim) for dim in ["batch", *spec.shape[1:]])
    return f"`{name}`, {spec.dtype.name} `[{dims}]`"


def _variables_text(loaded):
    trainable = {id(v) for v in loaded.trainable_variables}
    frozen = [v for v in loaded.variables if id(v) not in trainable]

    def counted(variables, kind):
        parameters = sum(int(np.prod(v.shape)) for v in variables)
        return f"{len(variables)} {kind} ({parameters:,} parameters)"

    return f"{counted(loaded.trainable_variables, 'trainable')}, {counted(frozen, 'not trainable')}"


def _penalties_text(loaded, model):
    """Each exported penalty's kind and strength, measured from its value and gradient."""
    names = [_short_name(v) for v in model.variables]
    # Only floating variables can be penalized (Keras 3's RNG state is an integer).
    weights = [v if v.dtype.is_floating else tf.constant(0.0) for v in loaded.variables]
    kinds = {}
    for penalty in loaded.regularization_losses:
        with tf.GradientTape() as tape:
            tape.watch(weights)
            value = penalty()
        gradients = tape.gradient(value, weights)
        penalized = [(i, g) for i, g in enumerate(gradients) if g is not None]
        kind = _kind(float(value), [(loaded.variables[i], g) for i, g in penalized])
        kinds.setdefault(kind, set()).update(index for index, _ in penalized)
    if not kinds:
        return "none"
    groups = []
    # In the order of the model's variables: the flavours of Keras order their penalties apart.
    for kind, indices in sorted(kinds.items(), key=lambda item: min(item[1])):
        weights = [f"`{names[i]}` {list(loaded.variables[i].shape)}" for i in sorted(indices)]
        listed = ", ".join(weights[:LISTED])
        more = f" and {len(weights) - LISTED} more" if len(weights) > LISTED else ""
        groups.append(f"{kind} on {listed}{more}")
    return "; ".join(groups) + ", exported as `regularization_losses`"


def _kind(value, weights):
    """"L2 0.0001", "L1 0.01", "L1L2 0.01, 0.0001" or "other", from a penalty's value and gradients.

    A penalty `l1 * sum(|w|) + l2 * sum(w**2)` has the gradient `l1 * sign(w) + 2 * l2 * w`:
    least squares on the gradient gives both strengths, and the value must agree.
    """
    strengths, predicted = [], 0.0
    if not any(np.any(variable.numpy()) for variable, _ in weights):
        return "kind not measurable (zero weights)"
    for variable, gradient in weights:
        w = variable.numpy().astype(np.float64).ravel()
        g = tf.convert_to_tensor(gradient).numpy().astype(np.float64).ravel()
        basis = np.stack([np.sign(w), 2 * w], axis=1)
        (l1, l2), *_ = np.linalg.lstsq(basis, g, rcond=None)
        if not np.allclose(basis @ [l1, l2], g, rtol=1e-4, atol=1e-6 * np.abs(g).max()):
            return "other"
        strengths.append((l1, l2))
        predicted += l1 * np.abs(w).sum() + l2 * np.square(w).sum()
    if not np.isclose(predicted, value, rtol=1e-4) or not predicted:
        return "other"
    l1s, l2s = {f"{l1:.3g}" for l1, _ in strengths}, {f"{l2:.3g}" for _, l2 in strengths}
    if len(l1s) > 1 or len(l2s) > 1:
        return "other"
    l1, l2 = float(l1s.pop()), float(l2s.pop())
    # A strength under 1e-6 of the other is float32 rounding, not a second penalty.
    if abs(l1) <= 1e-6 * abs(l2):
        return f"L2 {l2:.3g}"
    if abs(l2) <= 1e-6 * abs(l1):
        return f"L1 {l1:.3g}"
    return f"L1L2 {l1:.3g}, {l2:.3g}"


def _short_name(variable):
    """`kernel` of `classifier/dense/kernel:0`: layer names count up per process, this does not."""
    return variable.name.split(":")[0].rsplit("/", 1)[-1]


def _input_losses_text(model, inputs):
    """The loss terms a call adds from its inputs (activity regularizers, `add_loss`)."""
    if not is_keras(model):
        return "none"  # A tf.Module's `losses` are its weight penalties, all exported.
    model(inputs, training=False)
    count = len(model.losses) - len(weight_penalties(model))
    if not count:
        return "none"
    regularized = sorted(
        type(layer).__name__ for layer in layers(model)
        if getattr(layer, "activity_regularizer", None) is not None
    )
    of = f" (activity regularizers of {', '.join(regularized)})" if regularized else ""
    return f"{count} loss terms computed from each call's inputs{of}"


def is_keras(model):
    """A Keras 3 or tf_keras model (whose layers state their settings), not a `tf.Module`."""
    return isinstance(model, keras.Layer) or hasattr(model, "_callable_losses")


def _keras_layers(model):
    return [layer for layer in layers(model) if layer is not model]


def _noise_text(model):
    found = []
    for layer in _keras_layers(model):
        kind = type(layer).__name__
        if "Dropout" in kind or "Noise" in kind:
            for attribute in NOISE:
                if isinstance(getattr(layer, attribute, None), int | float):
                    found.append(f"{kind} {attribute} {getattr(layer, attribute):.3g}")
    return _counted(found)


def _batch_norm_text(model):
    found = [
        f"{type(layer).__name__} momentum {layer.momentum:.3g}, "
        + ("trained" if layer.trainable else "frozen (inference mode, statistics fixed)")
        for layer in _keras_layers(model)
        if "BatchNormalization" in type(layer).__name__
    ]
    return _counted(found)


def _counted(items):
    """"Dropout rate 0.2 (2 layers); ..." in first-seen order, or "none"."""
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return "; ".join(
        f"{item} ({count} layer{'s' if count > 1 else ''})" for item, count in counts.items()
    ) or "none"


def _hyperparameters_text(hyperparameters):
    if not hyperparameters:
        return "none: `hub.KerasLayer` takes no `arguments=`"
    # Floats as Python writes them: `arguments={"x": 1}` would pass an int, which no trace takes.
    defaults = ", ".join(f"`{name}` {float(value)!r}" for name, value in hyperparameters.items())
    pairs = ", ".join(f'"{name}": {float(value)!r}' for name, value in hyperparameters.items())
    return f"{defaults} by default; set with `hub.KerasLayer(..., arguments=" + "{" + pairs + "})`"


def _training_mode_text(loaded, inputs):
    first, second = (tf.nest.flatten(loaded(inputs, training=True)) for _ in range(2))
    if any(not np.array_equal(a, b) for a, b in zip(first, second, strict=True)):
        return "stochastic (two `training=True` calls on one input differ)"
    return "deterministic (two `training=True` calls on one input agree)"


def _artifact_text(export_dir, archive, sha256):
    size = sum(
        tf.io.gfile.stat(tf.io.gfile.join(root, name)).length
        for root, _, files in tf.io.gfile.walk(str(export_dir)) for name in files
    )
    package = f"; package `{archive.rsplit('/', 1)[-1]}`, SHA-256 `{sha256}`" if archive else ""
    return f"{size:,} bytes{package}"
