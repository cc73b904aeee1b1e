"""Shared knowledge of the template's variants for the template's own tests."""

import itertools
import json
import os
from pathlib import Path
import re
import subprocess
import sys
import time

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# What each model type can export (the pre-gen hook enforces the same table).
TASKS = {
    "keras_full": ["image-classification", "text-classification"],
    "keras_piece": ["image-feature-vector", "text-embedding"],
    "checkpoint": [
        "image-classification", "image-feature-vector", "text-classification", "text-embedding",
    ],
}
FLAVOURS = {
    "keras_full": ["keras3", "tf_keras"],
    "keras_piece": ["keras3", "tf_keras"],
    "checkpoint": ["keras3"],
}

# The Pythons tensorflow 2.21.0 publishes wheels for (cp310 to cp313; none for 3.14), each with
# the variant test_pythons.py installs and tests there: images on 3.10 and 3.12, text on
# 3.11 and 3.13. test_variants.py runs every other variant's suite in the template's venv.
PYTHON_VARIANTS = {
    "3.10": {},  # the default project: keras_full, keras3, image-classification
    "3.11": {"model_type": "checkpoint", "task": "text-embedding"},
    "3.12": {"model_type": "keras_piece", "task": "image-feature-vector"},
    "3.13": {"model_type": "keras_full", "task": "text-classification"},
}

SUPPORTED = [
    {"model_type": model_type, "keras_flavour": flavour, "task": task}
    for model_type in CONTEXT["model_type"]
    for flavour, task in itertools.product(FLAVOURS[model_type], TASKS[model_type])
]
UNSUPPORTED = [
    {"model_type": model_type, "keras_flavour": flavour, "task": task}
    for model_type, flavour, task in itertools.product(
        CONTEXT["model_type"], CONTEXT["keras_flavour"], CONTEXT["task"]
    )
    if flavour not in FLAVOURS[model_type] or task not in TASKS[model_type]
]


def with_defaults(answers):
    """A variant as cookiecutter bakes it: `answers` over the first choice of each prompt."""
    keys = ("model_type", "keras_flavour", "task")
    return {key: answers.get(key, CONTEXT[key][0]) for key in keys}


def variant_id(variant):
    return "-".join(variant.values())


@pytest.fixture(params=SUPPORTED, ids=variant_id)
def variant(request):
    return request.param


@pytest.fixture
def baked(cookies, variant):
    """The project baked for one supported variant, with its path checked."""
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    return result.project_path


def run_project_suite(project, *args):
    """Runs a baked project's own pytest as its user would; returns (summary line, seconds).

    Fails with the end of the suite's output unless it passed with nothing skipped.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTEST_XDIST_WORKER", None)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project, capture_output=True, text=True, env=env, check=False,
    )
    seconds = time.monotonic() - started
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary
    return summary, seconds
