"""Every command takes absl flags and a --help that exits 0, run as `python -m` runs it.

Here in this process (`commands.run_in_process`): the session's `train` and
`export` start as processes of their own, and test_filesystems.py runs every
command, from training to loading, in one process.
"""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.exporter import export_lib, report
from {{ cookiecutter.package_name }}.exporter.export_lib import export_saved_model
from {{ cookiecutter.package_name }}.exporter.tflite import tflite_path
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.exporter.warmup import BATCH_SIZES, read_requests

from stand_in import StandIn

# Each command and the flags its --help must list.
COMMANDS = {
    "train": [
        "checkpoint_dir", "epochs", "num_examples", "batch_size", "learning_rate", "strategy",
    ],
    "export": [
        "checkpoint_dir", "weights", "export_dir", "overwrite", "versioned", "pack", "write_doc",
        "warmup", "tflite", "tflite_select_ops", "compute_dtype", "sign_key", "sign_certificate",
        "certificate_chain", "sigstore",
    ],
    "exporter.verify": ["saved_model_dir", "expectations"],
    "scan": ["public_key", "certificate_chain", "signature"],
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


def test_export_flags_change_what_is_written(
    stand_in_checkpoint, tmp_path, monkeypatch, run_command
):
    monkeypatch.setattr(export_lib, "build_model", StandIn)
    target = tmp_path / "export"
    status, printed = run_command(
        "export", "--checkpoint_dir", stand_in_checkpoint, "--export_dir", target, "--nowarmup",
        "--tflite_select_ops", "--nowrite_doc",  # The doc states your model's facts.
    )
    assert status == 0, printed
    assert (target / "saved_model.pb").is_file() and not (target / "assets.extra").exists()
    fields = report.read(printed)
    assert "warmup" not in fields
    assert fields["tflite"].startswith(f"{tflite_path(target)} (")
    assert Path(f"{tflite_path(target)}.sha256").is_file()
    # Without the flags: warmup requests in, no TFLite variation.
    exported = export_saved_model(stand_in_checkpoint, tmp_path / "warm", verify=verify_saved_model)
    assert exported.report.warmup_batches == BATCH_SIZES
    assert len(read_requests(tmp_path / "warm")) == len(BATCH_SIZES)
    assert exported.tflite is None and not Path(tflite_path(tmp_path / "warm")).exists()
