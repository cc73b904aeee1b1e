"""Every command takes absl flags and a --help that exits 0, run as `python -m` runs it.

Here in this process (`commands.run_in_process`): the session's `train` and
`export` start as processes of their own, and test_filesystems.py runs every
command, from training to loading, in one process.
"""

import pytest

# Each command and the flags its --help must list.
COMMANDS = {
    "train": [
        "checkpoint_dir", "epochs", "num_examples", "batch_size", "learning_rate", "strategy",
    ],
    "export": [
        "checkpoint_dir", "weights", "export_dir", "overwrite", "versioned", "pack", "write_doc",
    ],
    "exporter.verify": ["saved_model_dir", "expectations"],
    "scan": [],
    "bench": ["repeats", "calls", "warmup", "batch_sizes", "json"],
    "publish": [
        "saved_model_dir", "checkpoint_dir", "weights", "handle", "upload", "check", "version",
    ],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_lists_every_flag_and_exits_0(command, run_command):
    status, stdout = run_command(command, "--help")
    assert status == 0
    assert f"python -m {{ cookiecutter.package_name }}.{command}" in stdout
    for flag in COMMANDS[command]:
        assert f"--{flag}:" in stdout or f"--[no]{flag}:" in stdout, flag
