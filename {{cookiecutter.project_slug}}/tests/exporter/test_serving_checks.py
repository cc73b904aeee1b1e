"""What TF Serving and Vertex AI require: a refusal is one line, before anything is placed."""

import re
import shutil

import pytest
from tensorflow.core.protobuf import saved_model_pb2

from {{ cookiecutter.package_name }}.exporter import export_lib, serving_checks
from {{ cookiecutter.package_name }}.exporter.export_lib import (
    ExportError,
    export_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.serving_checks import (
    MAX_VERSION,
    ServingCheckError,
    check_served,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model

from stand_in import StandIn


def test_session_export_passes(export_dir):
    check_served(export_dir, version=int(export_dir.name))


def changed_copy(export_dir, tmp_path, change):
    """A copy of the session's export whose `saved_model.pb` `change(saved_model)` changed."""
    copy = tmp_path / "copy"
    shutil.copytree(export_dir, copy)
    saved_model = saved_model_pb2.SavedModel.FromString((copy / "saved_model.pb").read_bytes())
    change(saved_model)
    (copy / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return copy


def test_missing_serve_tag_is_refused_in_one_line(export_dir, tmp_path):
    def retagged(saved_model):
        for graph in saved_model.meta_graphs:
            graph.meta_info_def.ClearField("tags")
            graph.meta_info_def.tags.append("train")

    copy = changed_copy(export_dir, tmp_path, retagged)
    message = "the SavedModel has no MetaGraph tagged 'serve' (tags: train), which TF Serving loads"
    with pytest.raises(ServingCheckError, match=f"^{re.escape(message)}$"):
        check_served(copy)


def test_missing_serving_default_is_refused_in_one_line(export_dir, tmp_path):
    def renamed(saved_model):
        signatures = saved_model.meta_graphs[0].signature_def
        signatures["predict"].CopyFrom(signatures["serving_default"])
        del signatures["serving_default"]

    copy = changed_copy(export_dir, tmp_path, renamed)
    with pytest.raises(
        ServingCheckError, match=r"^the SavedModel has no 'serving_default' signature "
        r"\(signatures: .*predict.*\), which TF Serving and Vertex AI call by default$"
    ):
        check_served(copy)


def test_export_over_the_size_limit_is_refused_and_not_placed(
    stand_in_checkpoint, tmp_path, monkeypatch
):
    monkeypatch.setattr(export_lib, "build_model", StandIn)
    monkeypatch.setattr(serving_checks, "SIZE_LIMIT_BYTES", 1000)
    refusal = r"^the SavedModel has [\d,]+ bytes, more than the 1,000 that Google Cloud's [^\n]+$"
    with pytest.raises(ExportError, match=refusal):
        export_saved_model(stand_in_checkpoint, tmp_path / "export", verify=verify_saved_model)
    assert not (tmp_path / "export").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["stand_in"]


def test_version_tf_serving_cannot_read_is_refused_and_not_placed(
    stand_in_checkpoint, tmp_path, monkeypatch
):
    """The next version after the largest int64 is none TF Serving reads."""
    monkeypatch.setattr(export_lib, "build_model", StandIn)
    serving = tmp_path / "serving"
    (serving / str(MAX_VERSION)).mkdir(parents=True)
    with pytest.raises(ExportError, match=rf"^version {MAX_VERSION + 1} is no version directory "):
        export_saved_model(stand_in_checkpoint, serving, versioned=True, verify=verify_saved_model)
    assert [p.name for p in serving.iterdir()] == [str(MAX_VERSION)]
