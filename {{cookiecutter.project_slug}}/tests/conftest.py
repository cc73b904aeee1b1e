"""One training run and one export per test session, shared by every round-trip test.

The fixtures run the project's two commands exactly as a user does, each in a
fresh Python process (commands.py); the tests then load the artifact in this
process. With pytest-xdist (pyproject.toml runs a worker per core), the first
worker to need them runs them, and the others wait and share what they wrote
(shared_run.py); the test files go out in the order scheduling.py sets.
"""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.exporter import report

import commands
import scheduling
import shared_run
from training_state import put_back


def pytest_collection_modifyitems(items):
    scheduling.order_files(items, shared_fixture="checkpoint_dir")


@pytest.fixture(scope="session")
def run():
    """`run(module, *args)` runs a command of this project like a user does, in a subprocess."""
    return commands.run_in_subprocess


@pytest.fixture(scope="session")
def command_line():
    """`command_line(module, *args)`: the command line of `python -m <this package>.<module>`."""
    return commands.command_line


@pytest.fixture(scope="session")
def run_command():
    """`run_command(module, *args, stdin="")` runs a command in this process (`run_in_process`)."""
    return commands.run_in_process


@pytest.fixture(scope="session")
def env():
    """The environment of a subprocess that runs this project's code, as for a user."""
    return commands.subprocess_env()


@pytest.fixture(scope="session")
def shared_dir(request, tmp_path_factory):
    """A directory of this test run that all its pytest-xdist workers see."""
    return shared_run.directory(request.config, tmp_path_factory)


@pytest.fixture(scope="session")
def checkpoint_dir(shared_dir):
    path = shared_dir / "checkpoints"

    def train():
        # One step, without tracing it: the tests prove the artifact, not the training.
        # In a process of its own: Keras numbers the names of unnamed layers per process
        # (conv2d, conv2d_1, ...), so a train run here would rename the layers of every
        # model built after it, and the export's report names layers.
        commands.run_in_subprocess(
            "train", "--checkpoint_dir", path, "--epochs", 1, "--num_examples", 8,
            "--batch_size", 8, "--run_eagerly",
        )
        return str(path)

    return Path(shared_run.once(path, train))


@pytest.fixture(scope="session")
def signing_keys(shared_dir):
    """{"publisher": (KEY.pem, KEY.pub), "other": ...}: the elliptic-curve key pairs of the tests.

    The publisher's signs the session's export; the other's is the wrong key.
    """
    path = shared_dir / "keys"

    def generate():
        path.mkdir()
        return {name: write_key_pair(path / name) for name in ("publisher", "other")}

    return {name: tuple(map(Path, pair)) for name, pair in shared_run.once(path, generate).items()}


def write_key_pair(stem):
    """Writes `stem`.pem and `stem`.pub as `openssl ecparam -name prime256v1 -genkey` would."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = stem.with_suffix(".pem"), stem.with_suffix(".pub")
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
    ))
    return str(private), str(public)


@pytest.fixture(scope="session")
def racing_exports(checkpoint_dir, shared_dir, signing_keys):
    """Two `export --versioned --pack --sign_key` runs of the session's checkpoint started at once.

    Both into one directory, `serving/`, under the umask 027 of a careful server:
    each must take its own version, byte for byte the same as the other's, signed.
    [(exit status, stdout, stderr), ...]; the directory is `root / "serving"`.
    One session export shared by every round-trip test. (Exports racing for one
    plain directory take the same lock: tests/exporter/test_staging.py races them in threads.)
    """
    root = shared_dir / "exports"

    def race():
        processes = [
            commands.start_in_subprocess(
                "export", "--checkpoint_dir", checkpoint_dir, "--export_dir", root / "serving",
                "--versioned", "--pack", "--nowrite_doc",
                "--sign_key", signing_keys["publisher"][0], umask=0o027,
            )
            for _ in range(2)
        ]
        runs = [(process, *process.communicate(timeout=600)) for process in processes]
        return [(process.returncode, out, err) for process, out, err in runs]

    return {"root": root, "serving": [tuple(run) for run in shared_run.once(root, race)]}


@pytest.fixture(scope="session")
def export_run(racing_exports):
    """(export directory, (exit status, stdout, stderr)) of the run that wrote `serving/1`."""
    path = racing_exports["root"] / "serving" / "1"
    for result in racing_exports["serving"]:
        if result[0] == 0 and report.read(result[1]).get("SavedModel") == str(path):
            return path, result
    pytest.fail("no export wrote serving/1:\n" + "\n".join(
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
    import tensorflow as tf  # Imported here for the reason source_model gives.

    # The first 8 examples (of each input, for a model of several).
    return tf.nest.map_structure(lambda values: values[:8], dataset[0])
