"""One training run and one export per test session, shared by every round-trip test.

The fixtures run the project's two commands exactly as a user does, each in a
fresh Python process; the tests then load the artifact in this process. With
pytest-xdist (pyproject.toml runs a worker per core), the first worker to need
them runs them, and the others wait and share what they wrote.
"""

import contextlib
import fcntl
import importlib.util
import io
import json
import os
from pathlib import Path
import runpy
import subprocess
import sys

from absl import flags
import pytest

import {{ cookiecutter.package_name }}

from training_state import put_back

SRC = Path({{ cookiecutter.package_name }}.__file__).resolve().parents[1]
PACKAGE = {{ cookiecutter.package_name }}.__name__


# The files that spend longest on your model, longest first; the others take a few
# seconds each. Seconds with MobileNetV3Small at 224x224 on 2 cores: export 87 (the
# session's train and exports included), consumers 71, model_doc 40, publish 19,
# filesystems 15.
LONGEST_FIRST = [
    "test_export.py", "test_consumers.py", "test_model_doc.py", "test_publish.py",
    "test_filesystems.py",
]


def pytest_collection_modifyitems(items):
    """Orders test files so that no worker waits, while another trains and exports or at the end.

    First the longest file that needs the session's checkpoint (its worker runs
    `train` and `export`), then every file that does not (the other workers run
    them meanwhile), then the other files that do, longest first: pytest-xdist
    hands out whole files in this order, and a long one handed out last keeps one
    worker busy while the others idle. Files not in LONGEST_FIRST follow it,
    those with more tests first.
    """
    files = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    needs = [path for path, tests in files.items()
             if any("checkpoint_dir" in test.fixturenames for test in tests)]

    def longest_first(path):
        rank = LONGEST_FIRST.index(path.name) if path.name in LONGEST_FIRST else len(LONGEST_FIRST)
        return rank, -len(files[path])

    # Every worker must compute the same order: ties stay in collection order.
    needs.sort(key=longest_first)
    order = needs[:1] + [path for path in files if path not in needs] + needs[1:]
    items[:] = [test for path in order for test in files[path]]


def module_env():
    """An environment in which `python -m <this package>.<module>` finds this package.

    Without TF_CPP_MIN_LOG_LEVEL: the commands run quiet by default, as for a user.
    """
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def module_command(module, *args):
    """The command line of `python -m <this package>.<module> args`."""
    return [sys.executable, "-m", f"{PACKAGE}.{module}", *map(str, args)]


def run_module(module, *args):
    """Runs `python -m <this package>.<module> args`; returns the finished process."""
    result = subprocess.run(
        module_command(module, *args), capture_output=True, text=True, env=module_env(),
        check=False,
    )
    if result.returncode:
        pytest.fail(f"{module} {' '.join(map(str, args))} failed:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def run():
    """`run(module, *args)` runs a command of this project like a user does."""
    return run_module


@pytest.fixture(scope="session")
def command_line():
    """`command_line(module, *args)`: the command line of `python -m <this package>.<module>`."""
    return module_command


def run_in_process(module, *args, stdin=""):
    """Runs `python -m <this package>.<module> args` in this process, as `python -m` would.

    Saves a TensorFlow start-up (seconds) where the test is about what the command
    does; the session's `train` and `export` run as real processes.
    Returns:
      (exit code, or the message it exited with; what it printed).
    """
    defined = set(flags.FLAGS)
    stdout = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
            patch.setattr(sys, "argv", [module, *map(str, args)])
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            with pytest.raises(SystemExit) as exit:
                origin = importlib.util.find_spec(f"{PACKAGE}.{module}").origin
                runpy.run_path(origin, run_name="__main__")
    finally:  # The next command defines its own flags, some of the same names.
        for name in set(flags.FLAGS) - defined:
            delattr(flags.FLAGS, name)
    return exit.value.code or 0, stdout.getvalue()


@pytest.fixture(scope="session")
def run_command():
    """`run_command(module, *args, stdin="")` runs a command in this process (`run_in_process`)."""
    return run_in_process


@pytest.fixture(scope="session")
def env():
    return module_env()


@pytest.fixture(scope="session")
def shared_dir(request, tmp_path_factory):
    """A directory of this test run that all its pytest-xdist workers see."""
    base = tmp_path_factory.getbasetemp()
    # A worker's own directory is <the run's>/popen-gw<N>.
    return base.parent if hasattr(request.config, "workerinput") else base


def once(path, compute):
    """`compute()`, run by the first worker to get here; the others wait and read its result.

    The result (or the failure) is kept as JSON at `path`.json; `path`.lock serializes.
    """
    result = path.with_name(path.name + ".json")
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # Released when the file closes.
        if not result.exists():
            try:
                result.write_text(json.dumps({"value": compute()}))
            except pytest.fail.Exception as failure:
                result.write_text(json.dumps({"failed": str(failure)}))
        outcome = json.loads(result.read_text())
    if "failed" in outcome:
        pytest.fail(outcome["failed"], pytrace=False)
    return outcome["value"]


@pytest.fixture(scope="session")
def checkpoint_dir(shared_dir):
    path = shared_dir / "checkpoints"

    def train():
        # One step, without tracing it: the tests prove the artifact, not the training.
        # In a process of its own: Keras numbers the names of unnamed layers per process
        # (conv2d, conv2d_1, ...), so a train run here would rename the layers of every
        # model built after it, and the export's report names layers.
        run_module("train", "--checkpoint_dir", path, "--epochs", 1, "--num_examples", 8,
                   "--batch_size", 8, "--run_eagerly")
        return str(path)

    return Path(once(path, train))


def start_module(module, *args, umask=None):
    """Starts `python -m <this package>.<module> args`; returns the running process."""
    return subprocess.Popen(
        module_command(module, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=module_env(), umask=umask,
    )


@pytest.fixture(scope="session")
def racing_exports(checkpoint_dir, shared_dir):
    """Two `export --versioned --pack` runs of the session's checkpoint started at once.

    Both into one directory, `serving/`, under the umask 027 of a careful server:
    each must publish its own version, byte for byte the same as the other's.
    [(exit status, stdout, stderr), ...]; the directory is `root / "serving"`.
    One session export shared by every round-trip test. (Exports racing for one
    plain directory take the same lock: tests/exporter/test_staging.py races them in threads.)
    """
    root = shared_dir / "exports"

    def race():
        processes = [
            start_module(
                "export", "--checkpoint_dir", checkpoint_dir, "--export_dir", root / "serving",
                "--versioned", "--pack", umask=0o027,
            )
            for _ in range(2)
        ]
        runs = [(process, *process.communicate(timeout=600)) for process in processes]
        return [(process.returncode, out, err) for process, out, err in runs]

    return {"root": root, "serving": [tuple(run) for run in once(root, race)]}


@pytest.fixture(scope="session")
def export_run(racing_exports):
    """(export directory, (exit status, stdout, stderr)) of the run that published `serving/1`."""
    path = racing_exports["root"] / "serving" / "1"
    for result in racing_exports["serving"]:
        if result[0] == 0 and f"SavedModel:            {path}\n" in result[1]:
            return path, result
    pytest.fail("no export published serving/1:\n" + "\n".join(
        stderr[-3000:] for _, _, stderr in racing_exports["serving"]
    ))


@pytest.fixture(scope="session")
def export_dir(export_run):
    return export_run[0]


@pytest.fixture(scope="session")
def source_model(checkpoint_dir):
    """The trained model, restored in memory: what the export must reproduce."""
    # Imported here, not at the top: pytest-xdist's controller process reads this
    # file too, runs no test, and need not spend seconds importing TensorFlow.
    from {{ cookiecutter.package_name }}.exporter.restore import restore
    from {{ cookiecutter.package_name }}.model import build_model

    model = build_model()
    restore(model, checkpoint_dir)
    return model


@pytest.fixture
def training_source_model(source_model):
    """`source_model` for a test that calls it in training mode, put back as it was after it.

    A training-mode call moves batch-norm statistics (and a Keras 3 random layer's
    seed): every variable gets its value back, so that the other tests still take
    exact inference outputs from `source_model`. Not a second restored copy:
    building and restoring a large model takes seconds.
    """
    with put_back(source_model.variables):
        yield source_model


@pytest.fixture(scope="session")
def dataset():
    """Inputs and labels the model was not trained on."""
    # Imported here for the reason source_model gives.
    from {{ cookiecutter.package_name }}.data import synthetic_examples

    return synthetic_examples(32, seed=7)


@pytest.fixture(scope="session")
def inputs(dataset):
    return dataset[0][:8]
