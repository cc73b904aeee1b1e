{%- set keras3 = cookiecutter.__builder == "keras3" -%}
{%- set tf_keras = cookiecutter.__builder == "tf_keras" -%}
{%- set keras3_text = keras3 and cookiecutter.__inputs == "text" -%}
"""Measure what the reusable export costs against the plain SavedModel of this model type.

    python -m {{ cookiecutter.package_name }}.bench [--repeats N] [--calls N] [--json PATH]

In one process, on the model of `model.py` with fresh weights (speed and size do
not depend on their values). The baseline is the plain export of this model
type:
{%- if keras3_text %} Keras 3's `ExportArchive` with the tokenizer's
lookup table tracked by hand (`model.export(dir)` refuses the model: it tracks
the variables, not the table, and saving stops at the "untracked resource").
{%- elif keras3 %} Keras 3's `model.export(dir)`.
{%- elif tf_keras %} tf_keras' `model.save(dir, include_optimizer=False)`.
{%- else %} a bare `tf.saved_model.save(model, dir)`.
{%- endif %}
Measured: the time of `export.save_verified` (what `export` does after the
restore) and of the same without scan and verification, against the baseline's
save; `tf.saved_model.load` of each; the latency of the loaded `__call__` (and,
beside it, of `serving_default` and the loaded baseline) against the in-memory
model in a `tf.function` with the export's input signature (the same graph,
optimized alike: the ratio is the price of loading alone); the exported bytes
against the variables' raw bytes. Medians; exports and calls interleaved so
that drift in the machine's speed hits all contenders alike, after unmeasured
warm-ups that take one-time costs (lazy imports, AutoGraph) off both sides.
Targets apply to networks of a million parameters or more; below that, fixed
costs dominate every ratio, and the report says so.
"""

import json
import os
from pathlib import Path
import platform
import random
import statistics
import tempfile
import time

from absl import flags
{%- if keras3_text %}
import keras
{%- endif %}
import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }} import cli
{%- if keras3_text %}
from {{ cookiecutter.package_name }}.checkpoint import trackables
{%- endif %}
from {{ cookiecutter.package_name }}.data import synthetic_examples
from {{ cookiecutter.package_name }}.export import (
    make_fingerprint_deterministic,
    save_verified,
)
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY, build_model
from {{ cookiecutter.package_name }}.reusable import (
    as_dict,
    reusable_module,
    save_reusable,
)
from {{ cookiecutter.package_name }}.verify import directory_bytes

{% if keras3_text -%}
BASELINE = "keras ExportArchive, lookup table tracked"
{%- elif keras3 -%}
BASELINE = "keras Model.export(dir)"
{%- elif tf_keras -%}
BASELINE = "tf_keras Model.save(dir, include_optimizer=False)"
{%- else -%}
BASELINE = "tf.saved_model.save(model, dir)"
{%- endif %}

# The ratio ours / reference each target allows.
LATENCY_TARGET = 1.05
SIZE_TARGET = 1.10
EXPORT_TARGET = 2.0
# The targets are for real-size networks. Below this many parameters, fixed costs
# dominate every ratio: the verifier's TensorFlow import (seconds, whatever the
# model), a graph of some 100 KB, Python's dispatch of each call (tens of µs).
TARGETS_FROM_PARAMETERS = 1_000_000


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


def save_unverified(model, path):
    """The reusable export without the scan and verification."""
    save_reusable(reusable_module(model), path)
    make_fingerprint_deterministic(path)


def main_output(outputs):
    """The output under OUTPUT_KEY (or the only one) as NumPy: every contender ends on a copy."""
    return np.asarray(as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY])


def timed(function, *args):
    """Seconds `function(*args)` takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def median_latencies(functions, inputs, calls, warmup):
    """Median seconds per call of each of `functions` on `inputs`.

    Each call ends by copying its result to NumPy, so that it is complete when
    the clock stops; all contenders pay the same copy.
    """
    for function in functions.values():
        for _ in range(warmup):
            function(inputs)
    seconds = {name: [] for name in functions}
    names, shuffle = list(functions), random.Random(0).shuffle
    # Interleaved, one call of each in turn, so that a slow spell of the machine hits
    # all alike; in a new order each turn, so that no contender always follows the
    # same one (a call can be slower after some others).
    for _ in range(calls):
        shuffle(names)
        for name in names:
            seconds[name].append(timed(functions[name], inputs))
    return {name: statistics.median(values) for name, values in seconds.items()}


def row(key, label, ours, reference, unit, target=None):
    """One line of the table: `ours / reference`, and its target if it has one."""
    return {
        "key": key, "label": label, "ours": ours, "reference": reference, "unit": unit,
        "ratio": ours / reference, "target": target,
    }


def judged(rows, targets_apply):
    """`rows`, each with `met`: within its target, or None (no target, or none applies)."""
    return [
        {**row, "met": row["ratio"] <= row["target"] if targets_apply and row["target"] else None}
        for row in rows
    ]


def benchmark(repeats=3, calls=100, warmup=10, batch_sizes=(1, 32)):
    """Measures export, load, latency and size; returns the results as a JSON-ready dict."""
    if repeats < 1 or calls < 1:
        raise ValueError("repeats and calls must be at least 1")
    model = build_model()
    variable_bytes = sum(np.asarray(variable).nbytes for variable in model.variables)
    parameters = sum(int(np.prod(variable.shape)) for variable in model.variables)
    exporters = {
        "verified": save_verified, "unverified": save_unverified, "baseline": save_baseline,
    }
    seconds = {name: [] for name in exporters}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if warmup:  # One unmeasured export of each kind (see the module docstring).
            for name, export in exporters.items():
                export(model, scratch / f"warm-{name}")
        for repeat in range(repeats):
            # In a new order each time, for the same reason calls are interleaved.
            for name in random.Random(repeat).sample(list(exporters), len(exporters)):
                seconds[name].append(timed(exporters[name], model, scratch / f"{name}-{repeat}"))
        ours, baseline = scratch / f"verified-{repeat}", scratch / f"baseline-{repeat}"
        sizes = {"ours": directory_bytes(ours), "baseline": directory_bytes(baseline)}
        graph_bytes = (ours / "saved_model.pb").stat().st_size
        checkpoint_bytes = directory_bytes(ours / "variables")

        loads = {path: [] for path in (ours, baseline)}
        for _ in range(repeats):
            for path, times in loads.items():
                times.append(timed(tf.saved_model.load, str(path)))
        ours_loaded, baseline_loaded = (tf.saved_model.load(str(path)) for path in loads)
        # The fair in-memory reference: the same graph as Keras' predict and the
        # export run, with the export's input signature (any batch size).
        in_graph = tf.function(
            lambda inputs: model(inputs, training=False), input_signature=[INPUT_SIGNATURE]
        )
        serving, input_name = ours_loaded.signatures["serving_default"], INPUT_SIGNATURE.name
        contenders = {
            "loaded": lambda inputs: main_output(ours_loaded(inputs)),
            # By keyword, as TF Serving does: a positional call takes a slower path
            # (twice the time at batch 32 on TF 2.21).
            "serving": lambda inputs: serving(**{input_name: inputs})[OUTPUT_KEY].numpy(),
            "tf_function": lambda inputs: main_output(in_graph(inputs)),
        }
        baseline_function = baseline_call(baseline_loaded)
        if baseline_function is not None:
            contenders["baseline"] = lambda inputs: main_output(baseline_function(inputs))
        latencies = {
            batch_size: median_latencies(
                contenders, tf.constant(synthetic_examples(batch_size, seed=2)[0]), calls, warmup
            )
            for batch_size in batch_sizes
        }

    median = {name: statistics.median(values) for name, values in seconds.items()}
    rows = [
        row("export_verified", "export with verification / baseline export",
            median["verified"], median["baseline"], "s", EXPORT_TARGET),
        row("export_unverified", "export without verification / baseline export",
            median["unverified"], median["baseline"], "s"),
        row("load", "tf.saved_model.load: ours / baseline",
            *(statistics.median(times) for times in loads.values()), "s"),
    ]
    labels = {
        "loaded": ("latency", "loaded __call__", LATENCY_TARGET),
        "serving": ("serving", "loaded serving_default", None),
        "baseline": ("baseline_latency", "loaded baseline", None),
    }
    for batch_size, latency in latencies.items():
        for name, (key, label, target) in labels.items():
            if name in latency:
                rows.append(row(f"{key}_b{batch_size}",
                                f"batch {batch_size}: {label} / in-memory tf.function",
                                latency[name], latency["tf_function"], "ms", target))
    rows.append(row("size", "artifact bytes / variable bytes",
                    sizes["ours"], variable_bytes, "bytes", SIZE_TARGET))
    rows.append(row("baseline_size", "baseline artifact bytes / variable bytes",
                    sizes["baseline"], variable_bytes, "bytes"))
    return {
        "package": __package__,
        "model_type": "{{ cookiecutter.model_type }}",
        "keras_flavour": "{{ cookiecutter.keras_flavour if cookiecutter.model_type != 'checkpoint' else 'none' }}",
        "baseline": BASELINE,
        "tensorflow": tf.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "repeats": repeats,
        "calls": calls,
        "warmup": warmup,
        "num_variables": len(model.variables),
        "num_parameters": parameters,
        "targets_apply": parameters >= TARGETS_FROM_PARAMETERS,
        "rows": judged(rows, parameters >= TARGETS_FROM_PARAMETERS),
        "artifact_parts": {
            "saved_model.pb": graph_bytes,
            "variables/": checkpoint_bytes,
            "other": sizes["ours"] - graph_bytes - checkpoint_bytes,
        },
    }


def _figure(value, unit):
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "ms":
        return f"{value * 1000:.3f} ms"  # Latencies are measured in seconds too.
    return f"{value:.3f} s"


def format_results(results):
    """The results of `benchmark` as a readable table and breakdowns."""
    width = max(len(row["label"]) for row in results["rows"])
    lines = [
        f"{results['package']} ({results['model_type']}, {results['keras_flavour']}): "
        f"{results['num_variables']} variables, {results['num_parameters']:,} parameters; "
        f"baseline: {results['baseline']}",
        f"medians of {results['repeats']} exports and loads and of {results['calls']} calls "
        f"(after {results['warmup']} warm-up calls); TensorFlow {results['tensorflow']}, "
        f"{results['cpus']} CPUs",
        "",
        f"{'measure':<{width}}  {'ours':>14}  {'reference':>14}  {'ratio':>7}  "
        f"{'target':>6}  met",
    ]
    for row in results["rows"]:
        target = f"{row['target']:.2f}" if row["target"] is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        lines.append(
            f"{row['label']:<{width}}  {_figure(row['ours'], row['unit']):>14}  "
            f"{_figure(row['reference'], row['unit']):>14}  {row['ratio']:>7.2f}  "
            f"{target:>6}  {met}"
        )
    sizes = results["artifact_parts"]
    total = sum(sizes.values())
    lines += ["", f"Where the artifact's {total:,} bytes go:"]
    lines += [
        f"  {part:<30} {size:>14,} B  {size / total:6.1%}" for part, size in sizes.items()
    ]
    missed = [row["key"] for row in results["rows"] if row["met"] is False]
    if not results["targets_apply"]:
        lines += ["", (
            f"no target applies: they are for networks of {TARGETS_FROM_PARAMETERS:,} parameters "
            f"or more, and this one has {results['num_parameters']:,}, so fixed costs (the "
            "verifier's TensorFlow import, a graph of some 100 KB, Python's call dispatch) "
            "dominate every ratio"
        )]
    else:
        lines += ["", f"targets missed: {', '.join(missed)}" if missed else "all targets met"]
    return "\n".join(lines)


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    results = benchmark(
        repeats=args.repeats, calls=args.calls, warmup=args.warmup,
        batch_sizes=[int(size) for size in args.batch_sizes],
    )
    print(format_results(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    flags.DEFINE_integer(
        "repeats", 3, "Measured exports and loads of each kind (medians are shown)."
    )
    flags.DEFINE_integer("calls", 100, "Measured calls per contender and batch size.")
    flags.DEFINE_integer(
        "warmup", 10, "Unmeasured calls per contender and batch size before those; "
        "with 0, no unmeasured export of each kind either."
    )
    flags.DEFINE_list("batch_sizes", ["1", "32"], "Batch sizes at which latency is measured.")
    flags.DEFINE_string("json", None, "Also write the results to this JSON file.")
    cli.run(main)
