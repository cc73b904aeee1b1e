"""Shared knowledge of the template's variants for the template's own tests."""

import itertools
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time

import jinja2
import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[1]
# copier.yml holds the questions and the supported combinations; cookiecutter.json is
# written from it (scripts/cookiecutter_json.py; test_engines.py checks it is current).
COPIER = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# The tests that run a baked project's whole suite take minutes each; the rest take seconds.
# Started first, and taken over by an idle worker (--dist worksteal in pytest.ini), they keep
# CI's two cores busy to the end instead of leaving one to finish a long suite alone.
RUNS_A_PROJECTS_SUITE = (
    "test_users_model_passes_the_projects_own_suite", "test_generated_test_suite_passes",
    "test_baked_project_installs_and_passes_on", "_brings_a_0_4_0_project_to_the_new_layout",
)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not any(name in item.name for name in RUNS_A_PROJECTS_SUITE))


TASKS = yaml.safe_load(COPIER["supported"]["default"])  # What each model type exports.
ALL_TASKS = list(yaml.safe_load(COPIER["tasks"]["default"]))
MODEL_TYPES = list(COPIER["model_type"]["choices"].values())
ALL_FLAVOURS = list(COPIER["keras_flavour"]["choices"].values())


def asked(question, **answers):
    """Whether copier asks `question` after `answers` (its `when:`)."""
    return jinja2.Environment().from_string(COPIER[question]["when"]).render(answers) == "True"


def choice_labels(question):
    """(label, value) of each choice of `question`, labels rendered as both engines show them."""
    render = jinja2.Environment().from_string
    return [
        (render(label).render(supported=TASKS), value)
        for label, value in COPIER[question]["choices"].items()
    ]


# A model type that is not asked the flavour builds with its default (checkpoint: keras3).
FLAVOURS = {
    model_type: ALL_FLAVOURS if asked("keras_flavour", model_type=model_type)
    else [COPIER["keras_flavour"]["default"]]
    for model_type in MODEL_TYPES
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
    for model_type in MODEL_TYPES
    for flavour, task in itertools.product(FLAVOURS[model_type], TASKS[model_type])
]
UNSUPPORTED = [
    {"model_type": model_type, "keras_flavour": flavour, "task": task}
    for model_type, flavour, task in itertools.product(
        MODEL_TYPES, ALL_FLAVOURS, ALL_TASKS
    )
    if flavour not in FLAVOURS[model_type] or task not in TASKS[model_type]
]


def with_defaults(answers):
    """A variant as it is baked from `answers`: the defaults fill in the rest."""
    model_type = answers.get("model_type", COPIER["model_type"]["default"])
    return {
        "model_type": model_type,
        "keras_flavour": answers.get("keras_flavour", COPIER["keras_flavour"]["default"]),
        "task": answers.get("task", TASKS[model_type][0]),
    }


def ruff_check(project):
    """ruff passes on a baked project, with the project's own settings."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=project, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def package_of(variant):
    """The package a variant gets by default: its name says what goes in."""
    return "text_model" if variant["task"].startswith("text-") else "image_model"


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


# A baked project's pytest with the plugins its own pyproject.toml installs, pytest-xdist, and
# no other: this environment also holds the template's test plugins (hypothesis, pytest-cookies),
# which a user's does not, and which add seconds of imports to each of its processes.
PROJECT_PYTEST = [sys.executable, "-m", "pytest", "-p", "xdist", "-q", "-p", "no:cacheprovider"]
PROJECT_PYTEST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def run_project_suite(project, *args):
    """Runs a baked project's own pytest as its user would; returns (summary line, seconds).

    Fails with the end of the suite's output unless it passed with nothing skipped.
    """
    env = {**os.environ, **PROJECT_PYTEST_ENV}
    env.pop("PYTEST_XDIST_WORKER", None)
    started = time.monotonic()
    run = subprocess.run(
        [*PROJECT_PYTEST, *args], cwd=project, capture_output=True, text=True, env=env,
        check=False,
    )
    seconds = time.monotonic() - started
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary
    return summary, seconds


def write_export_facts(project, package):
    """Trains briefly and exports, as the user does after replacing model.py.

    The export rewrites the model doc's Export facts block from the new model,
    which the suite's doc test then checks against its own export.
    """
    env = {**os.environ, **PROJECT_PYTEST_ENV, "PYTHONPATH": str(project / "src")}
    scratch = project.parent / f"{project.name}-first-export"
    commands = [
        ["train", "--checkpoint_dir", scratch / "checkpoints", "--epochs", "1",
         "--num_examples", "8", "--batch_size", "8", "--run_eagerly"],
        ["export", "--checkpoint_dir", scratch / "checkpoints", "--export_dir", scratch / "1"],
    ]
    for command, *args in commands:
        run = subprocess.run(
            [sys.executable, "-m", f"{package}.{command}", *map(str, args)], cwd=project,
            capture_output=True, text=True, env=env, check=False,
        )
        assert run.returncode == 0, f"{command}: {run.stdout[-2000:]}{run.stderr[-3000:]}"
    shutil.rmtree(scratch)


GIT = ["git", "-c", "user.name=Template CI", "-c", "user.email=ci@example.com"]


def git(*args, cwd):
    result = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def copy_of_template(destination):
    """This template's files, committed or not (no caches, no .venv), copied to `destination`."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE, capture_output=True, text=True, check=True,
    ).stdout
    for name in files.splitlines():
        if (TEMPLATE / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, destination / name)
    return destination


def git_copy_of_template(repo, tag=None):
    """This template's files committed to a new repository at `repo`.

    cruft tracks commits and copier versions by tag, as a published template has them.
    """
    copy_of_template(repo)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", f"template {CONTEXT['__template_version']}", cwd=repo)
    if tag:
        git("tag", tag, cwd=repo)
    return repo


@pytest.fixture(scope="session")
def template_copy(tmp_path_factory):
    """This template's own files, for copier to render (from a directory: it clones a
    git repository first, 1 s a render; test_team.py's copier test does that)."""
    return copy_of_template(tmp_path_factory.mktemp("template") / "template")
