"""The export refuses what it cannot do faithfully and never loses a previous export."""

import hashlib

import pytest
import tensorflow as tf

from {{ cookiecutter.package_name }}.export import ExportError, export_saved_model


def tree_digest(path):
    """A digest of every file name and content under `path`."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def foreign_checkpoint_dir(tmp_path):
    """A checkpoint of another architecture, stored under the same `model` key."""
    other = tf.Module()
    other.kernel = tf.Variable(tf.ones([3, 3]))
    tf.train.Checkpoint(model=other).save(str(tmp_path / "foreign" / "ckpt"))
    return tmp_path / "foreign"


def test_export_command_reports_the_verified_artifact(export_run, source_model):
    export_dir, report = export_run
    assert (export_dir / "saved_model.pb").is_file()
    assert f"SavedModel:            {export_dir}" in report
    assert "serving_default:" in report
    variables = len(source_model.variables)
    trainable = len(source_model.trainable_variables)
    assert f"variables:             {variables} ({trainable} trainable)" in report
    assert f"regularization losses: {len(source_model.losses)} (" in report


def test_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(ExportError, match="no checkpoint found"):
        export_saved_model(tmp_path / "empty", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_foreign_checkpoint_is_refused_without_writing(foreign_checkpoint_dir, tmp_path):
    with pytest.raises(ExportError, match="does not match the model"):
        export_saved_model(foreign_checkpoint_dir, tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign"]


def test_failed_export_keeps_the_previous_one(export_dir, foreign_checkpoint_dir):
    before = tree_digest(export_dir)
    siblings = sorted(export_dir.parent.iterdir())
    with pytest.raises(ExportError):
        export_saved_model(foreign_checkpoint_dir, export_dir, overwrite=True)
    assert tree_digest(export_dir) == before
    assert sorted(export_dir.parent.iterdir()) == siblings, "a partial directory was left behind"


def test_existing_export_needs_overwrite(checkpoint_dir, export_dir, tmp_path):
    with pytest.raises(ExportError, match="--overwrite"):
        export_saved_model(checkpoint_dir, export_dir)
    target = tmp_path / "export"
    export_saved_model(checkpoint_dir, target)
    report = export_saved_model(checkpoint_dir, target, overwrite=True)
    assert report.path == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
