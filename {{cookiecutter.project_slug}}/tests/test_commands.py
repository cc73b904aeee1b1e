"""Every command takes absl flags and a --help that exits 0; the library works in one process."""

import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.export import export_saved_model
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY, build_model
from {{ cookiecutter.package_name }}.pack import pack_saved_model
from {{ cookiecutter.package_name }}.restore import restore
from {{ cookiecutter.package_name }}.scan import scan_saved_model
from {{ cookiecutter.package_name }}.train import train
from {{ cookiecutter.package_name }}.verify import Expectations, verify_saved_model

# Each command and the flags its --help must list.
COMMANDS = {
    "train": [
        "checkpoint_dir", "epochs", "num_examples", "batch_size", "learning_rate", "strategy",
    ],
    "export": ["checkpoint_dir", "weights", "export_dir", "overwrite", "versioned", "pack"],
    "verify": ["saved_model_dir", "expectations"],
    "scan": [],
    "bench": ["repeats", "calls", "warmup", "batch_sizes", "json"],
    "publish": [
        "saved_model_dir", "checkpoint_dir", "weights", "handle", "upload", "check", "version",
    ],
}


@pytest.fixture(scope="module")
def helps(env):
    """{command: (exit status, stdout)} of `--help`, the commands started at once."""
    processes = {
        command: subprocess.Popen(
            [sys.executable, "-m", f"{{ cookiecutter.package_name }}.{command}", "--help"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for command in COMMANDS
    }
    return {
        command: (process.wait(timeout=300), process.stdout.read())
        for command, process in processes.items()
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_lists_every_flag_and_exits_0(command, helps):
    status, stdout = helps[command]
    assert status == 0
    assert f"python -m {{ cookiecutter.package_name }}.{command}" in stdout
    for flag in COMMANDS[command]:
        assert f"--{flag}:" in stdout or f"--[no]{flag}:" in stdout, flag


def test_one_process_runs_the_whole_pipeline(tmp_path, inputs):
    """A pipeline script or notebook imports every library module and calls each in turn."""
    # One step: the pipeline is under test, not the model.
    checkpoint = train(tmp_path / "checkpoints", epochs=1, num_examples=8, batch_size=8)
    exported = export_saved_model(checkpoint, tmp_path / "export")
    model = build_model()
    restore(model, checkpoint)
    report = verify_saved_model(
        tmp_path / "export", Expectations.of_model(model, inputs, OUTPUT_KEY)
    )
    assert report.num_variables == exported.report.num_variables
    assert scan_saved_model(tmp_path / "export") == []
    digest = pack_saved_model(tmp_path / "export", tmp_path / "export.tar.gz")
    assert (tmp_path / "export.tar.gz.sha256").read_text().startswith(digest)
