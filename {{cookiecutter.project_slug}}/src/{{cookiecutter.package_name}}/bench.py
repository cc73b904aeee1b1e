"""Measure what the reusable export costs against the plain SavedModel of this model type.

    python -m {{ cookiecutter.package_name }}.bench [--repeats N] [--calls N] [--json PATH]

In one process, on the model of `model.py` with fresh weights (speed and size do
not depend on their values). The baseline is the plain export of this model
type (`baseline.py`). `benchmark()` (`exporter/benchmark.py`, which says what
is measured and how) takes another model and its baseline too: the project's
tests run it on a stand-in, and prove the baseline of your model apart. The
targets, and the table printed, are in `bench_report.py`.
"""

import json
import sys

from absl import flags
import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.bench_report import format_results
from {{ cookiecutter.package_name }}.exporter.benchmark import benchmark
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    location,
)


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
