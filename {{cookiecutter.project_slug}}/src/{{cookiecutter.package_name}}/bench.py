"""Measure what the reusable export costs against the plain SavedModel of this model type.

    python -m {{ cookiecutter.package_name }}.bench [--repeats N] [--calls N] [--json PATH]

In one process, on the model of `model.py` with fresh weights (speed and size do
not depend on their values). The baseline is the plain export of this model
type (`baseline.py`). `benchmark()` takes another model and its baseline too:
the project's tests run it on a stand-in, and prove the baseline of your model
apart.
Measured: the time of `export.save_verified` (what `export` does after the
restore) and of the same without scan and verification, against the baseline's
save; `tf.saved_model.load` of each; the latency of the loaded `__call__` (and,
beside it, of `serving_default` and the loaded baseline) against the in-memory
model in a `tf.function` with the export's input signature (the same graph,
optimized alike: the ratio is the price of loading alone); the exported bytes
against the variables' raw bytes. Medians; exports and calls interleaved so
that drift in the machine's speed hits all contenders alike, after unmeasured
warm-ups that take one-time costs (lazy imports, AutoGraph) off both sides.
The targets, and the table printed, are in `bench_report.py`.
"""

import functools
import json
import os
from pathlib import Path
import platform
import random
import statistics
import sys
import tempfile
import time

from absl import flags
import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.data import synthetic_examples
from {{ cookiecutter.package_name }}.export import (
    make_fingerprint_deterministic,
    reusable_module,
    save_verified,
)
from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.baseline import BASELINE
from {{ cookiecutter.package_name }}.exporter.bench_report import (
    EXPORT_TARGET,
    LATENCY_TARGET,
    SIZE_TARGET,
    TARGETS_FROM_PARAMETERS,
    format_results,
    judged,
    row,
)
from {{ cookiecutter.package_name }}.exporter.filesystems import UnknownSchemeError, location
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict, save_reusable
from {{ cookiecutter.package_name }}.exporter.verify import directory_bytes
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY, build_model


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


def benchmark(
    repeats=3, calls=100, warmup=10, batch_sizes=(1, 32), *, model=None, baseline=BASELINE,
    verify=None,
):
    """Measures export, load, latency and size; returns the results as a JSON-ready dict.

    Of `model` (by default `build_model()`) against `baseline` (a `Baseline` that
    can save that model). `verify` as for `export.export_saved_model`: by default
    the verified export is measured as `export` runs it, with a fresh process.
    """
    if repeats < 1 or calls < 1:
        raise ValueError("repeats and calls must be at least 1")
    if model is None:
        model = build_model()
    variable_bytes = sum(np.asarray(variable).nbytes for variable in model.variables)
    parameters = sum(int(np.prod(variable.shape)) for variable in model.variables)
    exporters = {
        "verified": functools.partial(save_verified, verify=verify),
        "unverified": save_unverified,
        "baseline": baseline.save,
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
        ours, plain = scratch / f"verified-{repeat}", scratch / f"baseline-{repeat}"
        sizes = {"ours": directory_bytes(ours), "baseline": directory_bytes(plain)}
        graph_bytes = (ours / "saved_model.pb").stat().st_size
        checkpoint_bytes = directory_bytes(ours / "variables")

        loads, loaded = {path: [] for path in (ours, plain)}, {}
        for _ in range(repeats):
            for path, times in loads.items():
                start = time.perf_counter()
                loaded[path] = tf.saved_model.load(str(path))  # The last is kept to call.
                times.append(time.perf_counter() - start)
        ours_loaded, baseline_loaded = loaded.values()
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
        baseline_function = baseline.call(baseline_loaded)
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
        "baseline": baseline.name,
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


def main(argv):
    del argv  # Unused.
    args = flags.FLAGS
    try:  # Before minutes of measuring, not after.
        json_path = args.json and location(args.json)
    except UnknownSchemeError as error:
        sys.exit(f"ERROR: {error}")
    results = benchmark(
        repeats=args.repeats, calls=args.calls, warmup=args.warmup,
        batch_sizes=[int(size) for size in args.batch_sizes],
    )
    print(format_results(results))
    if json_path:
        with tf.io.gfile.GFile(json_path, "w") as file:  # A path or a URL.
            file.write(json.dumps(results, indent=2) + "\n")


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
