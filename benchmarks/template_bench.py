"""Measure the generated export on a real-size network, in every Keras variant of the template.

    .venv/bin/python benchmarks/template_bench.py [--repeats 5] [--calls 100] [--warmup 5]
        [--application MobileNetV3Small] [--output benchmarks/results.md]

Bakes keras_full and keras_piece, each with keras3 and tf_keras, into a
temporary directory; replaces each project's example `model.py` with a
`keras.applications` network (`tf_keras.applications` for tf_keras) built with
`weights=None`, so nothing is downloaded, at 224x224; runs the project's own
`python -m image_model.bench --json` in each, one after the other (in parallel
they would slow each other down); and writes the figures, with the machine
they were measured on, to `results.md`.

The defaults take about 10 minutes on 2 cores (100 calls: fewer leave the batch-1
ratios a few percent apart from run to run). Not part of the test suite: the
figures are only worth reading from a machine that does nothing else meanwhile.
"""

import argparse
import json
import os
from pathlib import Path
import platform
import re
import subprocess
import sys
import tempfile
import time

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
VARIANTS = [
    {"model_type": model_type, "keras_flavour": flavour, "task": task}
    for model_type, task in [
        ("keras_full", "image-classification"), ("keras_piece", "image-feature-vector")
    ]
    for flavour in ("keras3", "tf_keras")
]
IMAGE_SIZE = 224

# The replacement model.py: the contract of the template's example network
# (names, call signature, regularized head, dropout as a Tensor hyperparameter)
# around a real-size backbone.
MODEL = '''"""A real-size network for the benchmark: {application}, untrained, with a dense head."""

{imports}

IMAGE_SIZE = {image_size}
NUM_CLASSES = 1000
NUM_FEATURES = 1024
DROPOUT_RATE = 0.2
L2_WEIGHT = 1e-4

INPUT_SIGNATURE = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32, name="images")
OUTPUT_KEY = "{output_key}"
{hyperparameters}


class Network(keras.Model):
    """{application} (no top, average pooling) -> dropout -> dense."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.backbone = keras.applications.{application}(
            input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, weights=None,
            pooling="avg",
        )
        self.dense = keras.layers.Dense(
            output_size, kernel_regularizer=keras.regularizers.L2(L2_WEIGHT)
        )

    def call(self, images, training=False, dropout_rate=DROPOUT_RATE):
        x = self.backbone(images, training=training)
        if training:
            x = tf.nn.dropout(x, rate=dropout_rate)
        return self.dense(x)


def build_model():
    model = Network({output_size}, name="network")
    model(tf.zeros([1, *INPUT_SIGNATURE.shape[1:]]))  # Creates the variables.
    return model


def build_training_model(model):
{training_model}
'''
FULL_TRAINING_MODEL = "    return model"
PIECE_TRAINING_MODEL = """\
    images = keras.Input(INPUT_SIGNATURE.shape[1:], name="images")
    logits = keras.layers.Dense(NUM_CLASSES, name="head")(model(images))
    return keras.Model(images, logits, name="classifier")"""


def variant_name(variant):
    return f"{variant['model_type']}/{variant['keras_flavour']}"


def model_source(variant, application, example):
    """The replacement model.py for `variant`; `example` is the model.py it replaces.

    The example's `HYPERPARAMETERS` line is kept as it is, so that the
    replacement follows the template's current contract for them.
    """
    piece = variant["model_type"] == "keras_piece"
    hyperparameters = re.search(r"^HYPERPARAMETERS = .*$", example, re.MULTILINE)
    if hyperparameters is None:
        raise ValueError("the example model.py has no one-line HYPERPARAMETERS")
    return MODEL.format(
        hyperparameters=hyperparameters.group(0),
        application=application,
        imports="import tensorflow as tf\nimport tf_keras as keras"
        if variant["keras_flavour"] == "tf_keras" else "import keras\nimport tensorflow as tf",
        image_size=IMAGE_SIZE,
        output_key="feature_vector" if piece else "logits",
        output_size="NUM_FEATURES" if piece else "NUM_CLASSES",
        training_model=PIECE_TRAINING_MODEL if piece else FULL_TRAINING_MODEL,
    )


def bake(variant, application, output_dir):
    """Bakes `variant` with the real-size model in place of the example; returns the project."""
    project = Path(cookiecutter(
        str(TEMPLATE), no_input=True, output_dir=str(output_dir),
        extra_context={**variant, "image_size": str(IMAGE_SIZE)},
    ))
    model = project / "src" / "image_model" / "model.py"
    model.write_text(model_source(variant, application, model.read_text()))
    return project


def run_bench(project, args):
    """Runs the project's benchmark; returns its results, or the error that stopped it."""
    results_path = project / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    process = subprocess.run(
        [
            sys.executable, "-m", "image_model.bench", "--repeats", str(args.repeats),
            "--calls", str(args.calls), "--warmup", str(args.warmup),
            "--batch_sizes", "1,32", "--json", str(results_path),
        ],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )
    print(process.stdout, flush=True)
    print(f"({time.perf_counter() - start:.0f} s)", flush=True)
    if process.returncode:
        return {"error": process.stderr.strip().splitlines()[-1:] or ["(no output)"]}
    return json.loads(results_path.read_text())


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def figure(value, unit):
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB"
    if unit == "ms":
        return f"{value * 1000:.2f} ms"
    return f"{value:.2f} s"


def versions():
    """Versions of the TF stack the projects ran with."""
    code = (
        "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
        "['tensorflow', 'keras', 'tf-keras', 'tensorflow-hub']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def template_revision():
    """The template's commit, and whether its working tree differed from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=TEMPLATE, capture_output=True, text=True,
                              check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} plus uncommitted changes" if git("status", "--porcelain") else commit


def markdown(all_results, args, seconds, load_before):
    """The results of every variant as one markdown document."""
    names = list(all_results)
    ok = {name: results for name, results in all_results.items() if "error" not in results}
    lines = [
        "# Benchmark: reusable export against the plain export",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`{' '.join(['.venv/bin/python', 'benchmarks/template_bench.py', *sys.argv[1:]])}` "
        f"({seconds / 60:.1f} minutes).",
        "",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other work on the machine "
        "skews the figures)",
        f"- software: {versions()}; template at {template_revision()}",
        f"- model: `{args.application}` from `keras.applications` (`tf_keras.applications` for "
        f"tf_keras), `weights=None`, {IMAGE_SIZE}x{IMAGE_SIZE}x3 input, average pooling, "
        "dropout and an L2-regularized dense head (1000 logits for keras_full, 1024 features "
        "for keras_piece)",
        f"- medians of {args.repeats} exports and loads, and of {args.calls} interleaved calls "
        f"after {args.warmup} warm-up calls; each variant in its own process, one at a time",
        "- baselines: Keras 3 `model.export(dir)`; tf_keras `model.save(dir, "
        "include_optimizer=False)`",
        "- in-memory reference for latency: the model in a `tf.function` with the export's "
        "input signature (undefined batch dimension)",
        "",
        "Each cell: ratio (ours / reference), then the two absolute figures.",
        "",
        "| measure | target | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    first = next(iter(ok.values()), {"rows": []})
    for row in first["rows"]:
        target = f"<= {row['target']:.2f}" if row["target"] is not None else ""
        cells = []
        for name in names:
            rows = {row["key"]: row for row in all_results[name].get("rows", [])}
            if row["key"] not in rows:
                cells.append("failed" if "error" in all_results[name] else "-")
                continue
            cell = rows[row["key"]]
            verdict = {True: " ✓", False: " ✗", None: ""}[cell["met"]]
            cells.append(
                f"**{cell['ratio']:.2f}**{verdict} ({figure(cell['ours'], cell['unit'])} / "
                f"{figure(cell['reference'], cell['unit'])})"
            )
        lines.append(f"| {row['label']} | {target} | " + " | ".join(cells) + " |")

    lines += ["", "## Where the artifact's bytes go", "",
              "| part | " + " | ".join(ok) + " |", "|---|" + "---|" * len(ok)]
    for part in first.get("artifact_parts", {}):
        cells = [figure(results["artifact_parts"][part], "bytes") for results in ok.values()]
        lines.append(f"| {part} | " + " | ".join(cells) + " |")

    lines += ["", "## Targets missed", ""]
    for name, results in all_results.items():
        if "error" in results:
            lines.append(f"- {name}: the benchmark failed: {results['error'][-1]}")
            continue
        missed = [row["label"] for row in results["rows"] if row["met"] is False]
        lines.append(f"- {name}: {'; '.join(missed) if missed else 'none'}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="exports and loads per variant")
    parser.add_argument("--calls", type=int, default=100, help="latency calls per contender")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up calls per contender")
    parser.add_argument("--application", default="MobileNetV3Small",
                        help="a keras.applications network, e.g. EfficientNetB0")
    parser.add_argument("--variants", default=",".join(map(variant_name, VARIANTS)),
                        help="comma-separated model_type/keras_flavour names to run")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results.md"))
    args = parser.parse_args()
    chosen = args.variants.split(",")

    start, load_before = time.perf_counter(), os.getloadavg()[0]
    all_results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for index, variant in enumerate(v for v in VARIANTS if variant_name(v) in chosen):
            print(f"== {variant_name(variant)}", flush=True)
            project = bake(variant, args.application, Path(scratch) / str(index))
            all_results[variant_name(variant)] = run_bench(project, args)
    args.output.write_text(markdown(all_results, args, time.perf_counter() - start, load_before))
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
