"""Every command takes URLs of TensorFlow's filesystems, not only local paths.

TensorFlow's own `ram://` filesystem (the memory of one process) stands in for
`gs://` and the other object stores. The commands run in this process, as
`python -m` runs them (`commands.run_in_process`), as a pipeline script or
notebook would. `train` writes your model's checkpoint there, the variables
it writes on local disk; your export, copied there, loads from there with its
assets. The export (its restore included), verifier, scanner and packer move
the same bytes for any model: their round trip through `ram://` exports the
stand-in (tests/stand_in.py), in a fraction of the time; what the export does
with your model is tested on local disk. `ram://` lists every prefix of a
file's name as a directory (`x` "holds" `x.tar.gz`), so the places here share
no prefix, and the package is written apart from the export. How an upload
publishes (`upload.py`) is tested on a directory of placeholder files: it
copies bytes and parses none.
"""

import hashlib
import io
import tarfile

import pytest
import tensorflow as tf
import tensorflow_hub as hub

from {{ cookiecutter.package_name }}.exporter import export_lib, report
from {{ cookiecutter.package_name }}.exporter.checkpoint import model_checkpoint
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
from {{ cookiecutter.package_name }}.exporter.export_lib import export_saved_model
from {{ cookiecutter.package_name }}.exporter.filesystems import split
from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.pack import pack_saved_model
from {{ cookiecutter.package_name }}.exporter.staging import TargetTakenError
from {{ cookiecutter.package_name }}.exporter.upload import CLAIM, UploadError, upload
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from model_io import by_name
from stand_in import StandIn

CHECKPOINTS, MODELS = "ram://run/checkpoints", "ram://bucket/models"
STAND_IN_CHECKPOINTS = "ram://stand_in/checkpoints"


def test_train_writes_there_the_checkpoint_it_writes_on_disk(checkpoint_dir, run_command):
    status, printed = run_command(
        "train", "--checkpoint_dir", CHECKPOINTS, "--epochs", 1, "--num_examples", 8,
        "--batch_size", 8, "--run_eagerly",
    )
    assert status == 0, status
    assert f"Wrote checkpoint {CHECKPOINTS}/ckpt-1\n" in printed
    assert tf.io.gfile.exists(f"{CHECKPOINTS}/checkpoint")
    # The session's checkpoint, which the same command wrote on local disk, restores
    # strictly (tests/exporter/test_export.py): this one holds the same variables, nothing else.
    assert dict(tf.train.list_variables(CHECKPOINTS)) == dict(
        tf.train.list_variables(str(checkpoint_dir))
    )


def test_your_export_loads_from_ram_with_its_assets(export_dir, source_model, inputs):
    url = upload(export_dir, "ram://bucket/yours")
    loaded = hub.load(url)
    expected = inference_outputs(source_model, inputs)
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)
    serving = loaded.signatures["serving_default"](**by_name(inputs))
    assert not differing_outputs(serving, expected, OUTPUT_KEY)


@pytest.fixture(scope="module")
def exported():
    """What `export --versioned` runs and prints, from and to ram://, on the stand-in."""
    model_checkpoint(model=StandIn()).save(f"{STAND_IN_CHECKPOINTS}/ckpt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export_lib, "build_model", StandIn)
        # Verified in this process: an export to a URL is verified on local disk
        # before the upload, in a fresh process that the session's exports prove.
        return str(export_saved_model(
            STAND_IN_CHECKPOINTS, MODELS, versioned=True, verify=verify_saved_model
        ))


def test_export_reads_and_writes_ram_urls(exported, inputs):
    assert report.read(exported)["SavedModel"] == f"{MODELS}/1"
    assert f"from {STAND_IN_CHECKPOINTS}" in exported
    assert tf.io.gfile.listdir(MODELS) == ["1"]  # No claim is left behind.
    loaded = tf.saved_model.load(f"{MODELS}/1")
    assert not differing_outputs(loaded(inputs), inference_outputs(StandIn(), inputs), OUTPUT_KEY)


def test_verify_scan_and_fresh_process_commands_read_ram(exported, inputs, tmp_path, run_command):
    expectations = tmp_path / "expected.npz"
    Expectations.of_model(StandIn(), inputs, OUTPUT_KEY).save(expectations)
    status, printed = run_command(
        "exporter.verify", "--saved_model_dir", f"{MODELS}/1", "--expectations", expectations
    )
    assert status == 0 and report.read(printed)["SavedModel"] == f"{MODELS}/1"
    assert run_command("scan", f"{MODELS}/1")[0] == 0
    # The fresh-process verifier's own end, here in this process (ram:// is its memory).
    status, printed = run_command("exporter.fresh_process", stdin=f"{MODELS}/1\n{expectations}\n")
    assert status == 0 and f'"path": "{MODELS}/1"' in printed


def test_pack_reads_and_writes_ram(exported):
    archive = "ram://packages/model.tar.gz"
    digest = pack_saved_model(f"{MODELS}/1", archive)
    with tf.io.gfile.GFile(archive, "rb") as file:
        data = file.read()
    assert hashlib.sha256(data).hexdigest() == digest
    with tf.io.gfile.GFile(f"{archive}.sha256") as file:
        assert file.read() == f"{digest}  model.tar.gz\n"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
    assert "saved_model.pb" in names and "variables/variables.index" in names


@pytest.fixture
def placeholders(tmp_path):
    """A local directory shaped like a SavedModel (upload.py copies bytes, parses none)."""
    (tmp_path / "variables").mkdir()
    for name in ("saved_model.pb", "fingerprint.pb", "variables/variables.index"):
        (tmp_path / name).write_text(name)
    return tmp_path


def listed(parent):
    return sorted(tf.io.gfile.listdir(parent))


def test_versioned_uploads_take_new_numbers_and_leave_no_claim(placeholders):
    base = "ram://uploads/versioned"
    uploaded = [upload(placeholders, base, versioned=True) for _ in range(2)]
    assert uploaded == [f"{base}/1", f"{base}/2"]
    with tf.io.gfile.GFile(f"{base}/{CLAIM}3-killed", "w") as file:
        file.write("an export that was killed\n")
    assert upload(placeholders, base, versioned=True) == f"{base}/4"  # 3 is never reused.
    assert listed(base) == [f"{CLAIM}3-killed", "1", "2", "4"]


def test_plain_upload_needs_overwrite_and_a_claimed_one_is_refused(placeholders):
    target = "ram://uploads/plain/model"
    upload(placeholders, target)
    with pytest.raises(TargetTakenError, match="pass --overwrite"):
        upload(placeholders, target)
    (placeholders / "saved_model.pb").write_text("new")
    upload(placeholders, target, overwrite=True)
    with tf.io.gfile.GFile(f"{target}/saved_model.pb") as file:
        assert file.read() == "new"
    assert listed(split(target)[0]) == ["model"]
    with tf.io.gfile.GFile(f"{split(target)[0]}/{CLAIM}model-0123", "w") as file:
        file.write("another export\n")
    with pytest.raises(TargetTakenError, match=f"another export is writing {target} .*0123"):
        upload(placeholders, target, overwrite=True)


def test_saved_model_pb_goes_last_and_a_failed_upload_leaves_nothing(placeholders, monkeypatch):
    copied = []

    def copy_then_fail_at_the_last(source, target, overwrite=False):
        copied.append(split(target)[1])
        if target.endswith("saved_model.pb"):
            raise tf.errors.UnavailableError(None, None, "connection reset")
        copy(source, target, overwrite)

    copy = tf.io.gfile.copy
    monkeypatch.setattr(tf.io.gfile, "copy", copy_then_fail_at_the_last)
    base = "ram://uploads/failed"
    with pytest.raises(UploadError, match=f"uploading to {base} failed: connection reset"):
        upload(placeholders, base, versioned=True)
    assert copied[-1] == "saved_model.pb" and len(copied) == 3
    assert listed(base) == []


def test_upload_that_reads_back_other_bytes_is_not_published(placeholders, monkeypatch):
    def corrupted(source, target, overwrite=False):
        with tf.io.gfile.GFile(target, "w") as file:
            file.write("not what was verified")

    monkeypatch.setattr(tf.io.gfile, "copy", corrupted)
    target = "ram://uploads/corrupted/model"
    with pytest.raises(UploadError, match="differs from the verified file"):
        upload(placeholders, target)
    assert listed(split(target)[0]) == []


@pytest.mark.parametrize("command, args", [
    ("train", ["--checkpoint_dir", "s3://bucket/run"]),
    ("export", ["--checkpoint_dir", "s3://bucket/run", "--export_dir", "/tmp/unused"]),
    ("export", ["--checkpoint_dir", CHECKPOINTS, "--export_dir", "s3://bucket/model"]),
    ("exporter.verify", ["--saved_model_dir", "s3://bucket/model", "--expectations", "unused.npz"]),
    ("scan", ["s3://bucket/model"]),
    ("bench", ["--json", "s3://bucket/bench.json"]),
])
def test_unknown_scheme_is_refused_in_one_line_naming_the_package(command, args, run_command):
    message, _ = run_command(command, *args)
    assert message == (
        "ERROR: s3:// is not a filesystem TensorFlow has here: pip install tensorflow-io "
        "(a release built for this TensorFlow version)"
    )


def test_scheme_no_package_provides_is_refused_naming_the_known_ones(run_command):
    message, _ = run_command("export", "--checkpoint_dir", "nfs://host/run", "--export_dir", "x")
    assert message.startswith("ERROR: nfs:// is not a filesystem TensorFlow has here; it has ")
    assert "gs://" in message and "ram://" in message
