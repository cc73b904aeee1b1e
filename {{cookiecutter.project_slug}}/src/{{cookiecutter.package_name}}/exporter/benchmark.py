"""The benchmark as a library: `benchmark()`, which the `bench` command runs and prints.

It measures the reusable export of a model against a plain SavedModel of it
(`baseline.py`): the time of `verified_save.save_verified` (what `export` does
after the restore) and of the same without scan and verification, against the
baseline's save; `tf.saved_model.load` of each; the latency of the loaded
`__call__` (and, beside it, of `serving_default` and the loaded baseline)
against the in-memory model in a `tf.function` with the export's input
signature (the same graph, optimized alike: the ratio is the price of loading
alone); the exported bytes against the variables' raw bytes. Medians; exports
and calls interleaved so that drift in the machine's speed hits all contenders
alike, after unmeasured warm-ups that take one-time costs (lazy imports,
AutoGraph) off both sides. The targets, and the table printed, are in
`bench_report.py`.
"""

import functools
import os
from pathlib import Path
import platform
import random
import statistics
import tempfile

import numpy as np
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.baseline import BASELINE
from {{ cookiecutter.package_name }}.exporter.bench_report import (
    EXPORT_TARGET,
    LATENCY_TARGET,
    SIZE_TARGET,
    TARGETS_FROM_PARAMETERS,
    judged,
    row,
)
from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.fingerprint import (
    make_fingerprint_deterministic,
)
from {{ cookiecutter.package_name }}.exporter.input_signature import named
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict, save_reusable
from {{ cookiecutter.package_name }}.exporter.timing import (
    median_latencies,
    median_loads,
    timed,
)
from {{ cookiecutter.package_name }}.exporter.verified_save import (
    reusable_module,
    save_verified,
)
from {{ cookiecutter.package_name }}.exporter.verify import directory_bytes
from {{ cookiecutter.package_name }}.exporter.warmup import WARMUP_FILE
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY, build_model


def save_unverified(model, path):
    """The reusable export without the scan and verification."""
    save_reusable(reusable_module(model), path)
    make_fingerprint_deterministic(path)


def main_output(outputs):
    """The output under OUTPUT_KEY (or the only one) as NumPy: every contender ends on a copy."""
    return np.asarray(as_dict(outputs, OUTPUT_KEY)[OUTPUT_KEY])


def benchmark(
    repeats=3, calls=100, warmup=10, batch_sizes=(1, 32), *, model=None, baseline=BASELINE,
    verify=None,
):
    """Measures export, load, latency and size; returns the results as a JSON-ready dict.

    Of `model` (by default `build_model()`) against `baseline` (a `Baseline` that
    can save that model). `verify` as for `export_lib.export_saved_model`: by
    default the verified export is measured as `export` runs it, with a fresh process.
    """
    if repeats < 1 or calls < 1:
        raise ValueError("repeats and calls must be at least 1")
    if model is None:
        model = build_model()
    variable_bytes = sum(np.asarray(variable).nbytes for variable in model.variables)
    parameters = sum(int(np.prod(variable.shape)) for variable in model.variables)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        seconds, ours, plain = _time_exports(model, baseline, scratch, repeats, warmup, verify)
        parts = _artifact_parts(ours, directory_bytes(ours))
        # The warmup requests are example inputs (sized by the model's inputs), not the
        # format's overhead: listed among the parts, left out of the size target.
        sizes = {"ours": sum(parts.values()) - parts[WARMUP_PART],
                 "baseline": directory_bytes(plain)}
        load_seconds, (ours_loaded, baseline_loaded) = median_loads((ours, plain), repeats)
        contenders = _contenders(model, ours_loaded, baseline.call(baseline_loaded))
        latencies = {
            batch_size: median_latencies(
                contenders, example_batch(batch_size), calls, warmup
            )
            for batch_size in batch_sizes
        }
    rows = _rows(seconds, load_seconds, latencies, sizes, variable_bytes)
    return {
        "package": "{{ cookiecutter.package_name }}",
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
        "artifact_parts": parts,
    }


# The artifact part that holds TF Serving's warmup requests (`warmup.py`).
WARMUP_PART = "assets.extra/ (warmup)"


def _time_exports(model, baseline, scratch, repeats, warmup, verify):
    """Median seconds of each kind of export into `scratch`; the last verified and baseline one."""
    exporters = {
        "verified": functools.partial(save_verified, verify=verify),
        "unverified": save_unverified,
        "baseline": baseline.save,
    }
    seconds = {name: [] for name in exporters}
    if warmup:  # One unmeasured export of each kind (see the module docstring).
        for name, export in exporters.items():
            export(model, scratch / f"warm-{name}")
    for repeat in range(repeats):
        # In a new order each time, for the same reason calls are interleaved.
        for name in random.Random(repeat).sample(list(exporters), len(exporters)):
            seconds[name].append(timed(exporters[name], model, scratch / f"{name}-{repeat}"))
    median = {name: statistics.median(values) for name, values in seconds.items()}
    return median, scratch / f"verified-{repeat}", scratch / f"baseline-{repeat}"


def _artifact_parts(export_dir, total_bytes):
    """Bytes of the export's graph, of its variables, of its warmup requests, and of the rest."""
    graph_bytes = (export_dir / "saved_model.pb").stat().st_size
    checkpoint_bytes = directory_bytes(export_dir / "variables")
    warmup_file = export_dir / WARMUP_FILE
    warmup_bytes = warmup_file.stat().st_size if warmup_file.exists() else 0
    return {
        "saved_model.pb": graph_bytes,
        "variables/": checkpoint_bytes,
        WARMUP_PART: warmup_bytes,
        "other": total_bytes - graph_bytes - checkpoint_bytes - warmup_bytes,
    }


def _contenders(model, ours_loaded, baseline_function):
    """`{name: function of a batch}` whose latencies are measured, each ending on a NumPy copy."""
    # The fair in-memory reference: the same graph as Keras' predict and the
    # export run, with the export's input signature (any batch size).
    in_graph = tf.function(
        lambda inputs: model(inputs, training=False), input_signature=[named(INPUT_SIGNATURE)]
    )
    serving = ours_loaded.signatures["serving_default"]
    contenders = {
        "loaded": lambda inputs: main_output(ours_loaded(inputs)),
        # By keyword, as TF Serving does: a positional call takes a slower path
        # (twice the time at batch 32 on TF 2.21).
        "serving": lambda inputs: main_output(serving(**by_name(inputs))),
        "tf_function": lambda inputs: main_output(in_graph(inputs)),
    }
    if baseline_function is not None:
        contenders["baseline"] = lambda inputs: main_output(baseline_function(inputs))
    return contenders


def example_batch(batch_size):
    """A batch of example inputs as Tensors (a dict of them for several inputs)."""
    return tf.nest.map_structure(tf.constant, example_inputs(batch_size, seed=2))


def by_name(inputs):
    """`serving_default`'s keyword arguments: a dict's entries, or the one input by its name."""
    return inputs if isinstance(inputs, dict) else {INPUT_SIGNATURE.name: inputs}


def _rows(seconds, load_seconds, latencies, sizes, variable_bytes):
    """The rows of the results: each measure of ours against the baseline or the model."""
    rows = [
        row("export_verified", "export with verification / baseline export",
            seconds["verified"], seconds["baseline"], "s", EXPORT_TARGET),
        row("export_unverified", "export without verification / baseline export",
            seconds["unverified"], seconds["baseline"], "s"),
        row("load", "tf.saved_model.load: ours / baseline", *load_seconds, "s"),
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
    rows.append(row("size", "artifact bytes (without warmup requests) / variable bytes",
                    sizes["ours"], variable_bytes, "bytes", SIZE_TARGET))
    rows.append(row("baseline_size", "baseline artifact bytes / variable bytes",
                    sizes["baseline"], variable_bytes, "bytes"))
    return rows
