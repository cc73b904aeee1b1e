"""How long a generated project's own test suite takes, on the example and on a real-size network.

    .venv/bin/python benchmarks/suite_bench.py [--variant keras_piece/keras3] [--only example]

Bakes the variant twice: as generated (the example network), and with
`keras.applications.MobileNetV3Small` at 224x224 (`weights=None`) in its
`model.py`, the replacement `template_bench.py` uses, with the model doc's
feature shape updated as its user would. For each project, one after the other:

- baseline: the user's own commands once, `train` then `export`, in this run:
  the work any proof of the artifact has to repeat at least once;
- suite: the project's `pytest`, with its slowest tests.

It prints the suite's seconds, the ratio suite / baseline (how many
train-and-export runs the suite costs), and the target: the example's suite
within 60 s and MobileNetV3Small's within 180 s on 2 cores. Run it on a machine
that does nothing else; it takes about 7 minutes.
"""

import argparse
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

from cookiecutter.main import cookiecutter
from template_bench import TEMPLATE, bake

TARGETS = {"example": 60.0, "MobileNetV3Small": 180.0}


def run(command, project):
    """Runs `command` in `project`; returns (seconds, stdout). Stops the benchmark on failure."""
    # pytest with the plugins a user's environment has (tests/conftest.py, PROJECT_PYTEST).
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    start = time.perf_counter()
    process = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed in {project}:\n{process.stdout[-3000:]}"
                 f"{process.stderr[-3000:]}")
    return seconds, process.stdout


def measure(name, project):
    module = [sys.executable, "-m"]
    train, _ = run([*module, "image_model.train", "--checkpoint_dir", "bench-ck", "--epochs", "1",
                    "--num_examples", "128"], project)
    export, _ = run([*module, "image_model.export", "--checkpoint_dir", "bench-ck",
                     "--export_dir", "bench-export"], project)
    suite, output = run(
        [*module, "pytest", "-p", "xdist", "-q", "-p", "no:cacheprovider", "--durations=40"],
        project,
    )
    baseline = train + export
    summary = output.strip().splitlines()[-1]
    slowest = output.split("slowest 40 durations", 1)[1].split("\n=", 1)[0].strip("= \n")
    target = TARGETS[name]
    verdict = "met" if suite <= target else "MISSED"
    print(f"\n{name}: {summary}")
    print(f"  baseline (train {train:.1f} s + export {export:.1f} s): {baseline:.1f} s")
    print(f"  suite: {suite:.1f} s = {suite / baseline:.2f}x the baseline; "
          f"target {target:.0f} s: {verdict}")
    print("  slowest tests:\n    " + slowest.replace("\n", "\n    "), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--variant", default="keras_piece/keras3",
                        help="model_type/keras_flavour of the baked projects")
    parser.add_argument("--only", choices=sorted(TARGETS), help="measure one project only")
    args = parser.parse_args()
    model_type, flavour = args.variant.split("/")
    task = "image-feature-vector" if model_type == "keras_piece" else "image-classification"
    variant = {"model_type": model_type, "keras_flavour": flavour, "task": task}
    with tempfile.TemporaryDirectory() as scratch:
        if args.only in (None, "example"):
            example = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=variant,
                                        output_dir=f"{scratch}/example"))
            measure("example", example)
        if args.only in (None, "MobileNetV3Small"):
            real = bake(variant, "MobileNetV3Small", f"{scratch}/real")
            # The doc states the example's output size; MobileNetV3Small's head differs.
            (doc,) = real.glob("assets/docs/*/models/*/*.md")
            text = doc.read_text().replace("`[batch, 64]`", "`[batch, 1024]`")
            doc.write_text(text.replace("`[batch, 10]`", "`[batch, 1000]`"))
            measure("MobileNetV3Small", real)


if __name__ == "__main__":
    main()
