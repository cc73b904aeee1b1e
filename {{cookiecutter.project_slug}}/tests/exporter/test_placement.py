"""A failed, killed or refused export never loses the previous one or leaves a half-written one."""

import errno
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time

{% if cookiecutter.__builder != "tf_keras" -%}
{% endif -%}
import pytest
import tensorflow as tf
{%- if cookiecutter.__builder == "tf_keras" %}
{%- endif %}

from {{ cookiecutter.package_name }}.exporter import export_lib
from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from digests import tree_digest
from stand_in import StandIn


@pytest.fixture
def existing_export(export_dir, tmp_path):
    """A copy of the session's export, for tests that try to damage it."""
    target = tmp_path / "exports" / "saved_model"
    shutil.copytree(export_dir, target)
    return target



def test_export_dir_that_is_a_file_is_refused_and_nothing_written(checkpoint_dir, tmp_path):
    target = tmp_path / "export"
    target.write_text("not a directory")
    message = f"{target} is a file; --export_dir must name a directory"
    with pytest.raises(ExportError, match=f"^{re.escape(message)}$"):
        export_saved_model(checkpoint_dir, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_export_dir_that_cannot_be_written_is_refused(checkpoint_dir, tmp_path):
    if os.geteuid() == 0:
        parent = Path("/sys")  # Even root may not create directories there.
    else:
        parent = tmp_path / "read-only"
        parent.mkdir(mode=0o500)
    with pytest.raises(ExportError, match=f"cannot write in {parent}"):
        export_saved_model(checkpoint_dir, parent / "no" / "export")


def test_full_disk_is_refused_and_leaves_nothing(stand_in_checkpoint, existing_export, monkeypatch):
    before = tree_digest(existing_export)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_lib, "build_model", StandIn)
    monkeypatch.setattr(tf.saved_model, "save", no_space)
    with pytest.raises(ExportError, match="failed: No space left on device"):
        export_saved_model(
            stand_in_checkpoint, existing_export, overwrite=True, verify=verify_saved_model
        )
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]



def test_failed_export_keeps_the_previous_one(
    existing_export, foreign_checkpoint_dir, refusing_model
):
    before = tree_digest(existing_export)
    with pytest.raises(ExportError):
        export_saved_model(foreign_checkpoint_dir, existing_export, overwrite=True)
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


def test_existing_export_and_package_need_overwrite(checkpoint_dir, existing_export):
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, existing_export)
    fresh = existing_export.with_name("fresh")
    archive = existing_export.with_name("fresh.tar.gz")
    archive.write_bytes(b"an earlier package")
    with pytest.raises(ExportError, match=f"{archive} exists; pass --overwrite"):
        export_saved_model(checkpoint_dir, fresh, pack=True)
    assert archive.read_bytes() == b"an earlier package"
    assert not fresh.exists()



def test_killed_export_leaves_the_previous_one_intact(
    stand_in_checkpoint, existing_export, env, run_command
):
    """SIGKILL while the new SavedModel is in its staging directory, then export again.

    The export and its verifier process are killed together, as a job scheduler
    or an out-of-memory killer ends a job. It exports the stand-in: what a kill
    leaves behind, and what the next export does with it, is the same for any model.
    """
    before = tree_digest(existing_export)
    script = textwrap.dedent(f"""
        import sys

        sys.path.insert(0, {str(Path(__file__).parents[1])!r})
        from stand_in import StandIn
        from {{ cookiecutter.package_name }}.exporter import export_lib

        export_lib.build_model = StandIn
        export_lib.export_saved_model(
            {str(stand_in_checkpoint)!r}, {str(existing_export)!r}, overwrite=True
        )
    """)
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    staged = f".staging-{process.pid}-*/variables/variables.index"
    while not list(existing_export.parent.glob(staged)):
        assert process.poll() is None, "the export finished before it could be killed"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    assert tree_digest(existing_export) == before
    leftovers = [p.name for p in existing_export.parent.iterdir() if p != existing_export]
    assert all(name.startswith(".staging-") for name in leftovers), leftovers
    # The next export, even one refused, first removes what the killed one left behind;
    # refused as a command (here in this process), it exits with one line that says why.
    message, _ = run_command(
        "export", "--checkpoint_dir", stand_in_checkpoint, "--export_dir", existing_export
    )
    assert message == f"ERROR: {existing_export} is not empty; pass --overwrite to replace it"
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]


def test_kill_between_the_renames_is_repaired_by_the_next_export(checkpoint_dir, existing_export):
    """A kill after the old export was moved aside and before the new one took its place."""
    before = tree_digest(existing_export)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = existing_export.parent / f".previous-{dead.pid}-abc"
    holder.mkdir()
    existing_export.rename(holder / existing_export.name)
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, existing_export)
    assert tree_digest(existing_export) == before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]



def test_overwrite_replaces_the_previous_export(
    stand_in_checkpoint, existing_export, inputs, monkeypatch
):
    """Your export replaced by the stand-in's: replacing is the same for any two models.

    How an export restores your model, from a checkpoint or a file Keras wrote,
    is tested on your model apart; the session's exports save it.
    """
    before = tree_digest(existing_export)
    monkeypatch.setattr(export_lib, "build_model", StandIn)
    # Verified in this process: the session's exports prove the fresh process.
    exported = export_saved_model(
        stand_in_checkpoint, existing_export, overwrite=True, verify=verify_saved_model
    )
    assert f"from {stand_in_checkpoint}" in str(exported)
    assert tree_digest(existing_export) != before
    assert [p.name for p in existing_export.parent.iterdir()] == [existing_export.name]
    loaded = tf.saved_model.load(str(existing_export))
    expected = inference_outputs(StandIn(), inputs)
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)
