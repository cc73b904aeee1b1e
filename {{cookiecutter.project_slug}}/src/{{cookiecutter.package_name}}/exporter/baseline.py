{%- set keras3 = cookiecutter.__builder == "keras3" -%}
{%- set tf_keras = cookiecutter.__builder == "tf_keras" -%}
{%- set keras3_text = keras3 and cookiecutter.__inputs == "text" -%}
{%- if keras3_text -%}
{%- set name = "keras ExportArchive, lookup table tracked" -%}
{%- elif keras3 -%}
{%- set name = "keras Model.export(dir)" -%}
{%- elif tf_keras -%}
{%- set name = "tf_keras Model.save(dir, include_optimizer=False)" -%}
{%- else -%}
{%- set name = "tf.saved_model.save(model, dir)" -%}
{%- endif -%}
"""The plain export of this model type: what the benchmark measures ours against.

The plain export of this model type is
{%- if keras3_text %} Keras 3's `ExportArchive` with the tokenizer's
lookup table tracked by hand (`model.export(dir)` refuses the model: it tracks
the variables, not the table, and saving stops at the "untracked resource").
{%- elif keras3 %} Keras 3's `model.export(dir)`.
{%- elif tf_keras %} tf_keras' `model.save(dir, include_optimizer=False)`.
{%- else %} a bare `tf.saved_model.save(model, dir)`.
{%- endif %}
"""

from collections.abc import Callable
from typing import NamedTuple
{% if keras3_text %}
import keras
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.checkpoint import trackables
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE
{% elif not (keras3 or tf_keras) %}
import tensorflow as tf
{% endif %}

class Baseline(NamedTuple):
    """A plain export that the benchmark measures ours against."""

    name: str
    save: Callable  # save(model, path) writes a SavedModel of `model` to `path`.
    call: Callable  # call(loaded): the inference function of the loaded export, or None.


def save_baseline(model, path):
    """Writes the plain SavedModel of this model type to `path`."""
{%- if keras3_text %}
    archive = keras.export.ExportArchive()
    archive.track(model)
    for trackable in trackables(model):
        if isinstance(trackable, tf.saved_model.experimental.TrackableResource):
            archive.track(trackable)
    archive.add_endpoint(
        "serve", lambda texts: model(texts, training=False), input_signature=[INPUT_SIGNATURE]
    )
    archive.write_out(str(path), verbose=False)
{%- elif keras3 %}
    model.export(str(path), verbose=False)
{%- elif tf_keras %}
    model.save(str(path), include_optimizer=False)
{%- else %}
    tf.saved_model.save(model, str(path))
{%- endif %}


def baseline_call(loaded):
    """The inference function of the loaded baseline, or None if it has none."""
{%- if keras3 %}
    return loaded.serve
{%- elif tf_keras %}
    return lambda inputs: loaded(inputs, training=False)
{%- else %}
    del loaded  # A bare tf.Module saves no function: its __call__ is not a tf.function.
    return None
{%- endif %}


BASELINE = Baseline(
    name="{{ name }}",
    save=save_baseline,
    call=baseline_call,
)
