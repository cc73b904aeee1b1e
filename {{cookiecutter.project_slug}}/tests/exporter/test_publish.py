"""The publish dry run accepts this project's export and refuses, in one line, what Kaggle would.

Every test uses the session's export (`serving/1` and its package); the ones
that break it work on a copy. The upload and the check run for real up to
kagglehub's first request, which goes to an endpoint where nothing listens:
what happens beyond it is Kaggle's, and not tested here. The signed path: the
check verifies a download against the export's signature, and a Sigstore upload
leaves the export as it was signed.
"""

import dataclasses
import hashlib
import json
from pathlib import Path
import shutil

import pytest

from {{ cookiecutter.package_name }}.exporter import kaggle_metadata
from {{ cookiecutter.package_name }}.exporter.publish_lib import (
    PublishError,
    check,
    compare,
    prepare,
    upload,
)
from {{ cookiecutter.package_name }}.exporter.signing import verify_export
from {{ cookiecutter.package_name }}.exporter.tflite import (
    TFLiteError,
    tflite_path,
    write_tflite,
)
from {{ cookiecutter.package_name }}.exporter.tflite_variation import (
    compare_variation,
)
from {{ cookiecutter.package_name }}.exporter.verify import verify_saved_model


@pytest.fixture(scope="module")
def plan(export_dir, checkpoint_dir, tmp_path_factory):
    """The dry run of the session export, its metadata written to a scratch directory.

    Verified in this process: export's tests cover the fresh process, which costs seconds.
    """
    return prepare(
        export_dir, checkpoint_dir, metadata_dir=tmp_path_factory.mktemp("kaggle"),
        verify=verify_saved_model,
    )


def test_dry_run_accepts_the_export(plan, export_dir):
    files = sorted(
        path.relative_to(export_dir).as_posix() for path in export_dir.rglob("*") if path.is_file()
    )
    assert sorted(plan.manifest) == files
    assert any(name.startswith("variables/") for name in files)
    assert plan.handle == kaggle_metadata.HANDLE
    assert plan.call() == (
        f"kagglehub.model_upload({kaggle_metadata.HANDLE!r}, {str(export_dir.resolve())!r}, "
        f"license_name={plan.license_name!r}, version_notes={plan.version_notes!r})"
    )
    assert "dry run" not in str(plan) and "variables/variables.index" in str(plan)
    assert plan.variation is None and plan.instances() == [plan]  # No .tflite beside it.


def test_metadata_comes_from_the_doc(plan):
    assert kaggle_metadata.problems(plan.metadata_dir) == []
    description, _, sections = kaggle_metadata.read_doc(kaggle_metadata.DOC)
    model = json.loads((plan.metadata_dir / kaggle_metadata.MODEL_FILE).read_text())
    instance = json.loads((plan.metadata_dir / kaggle_metadata.INSTANCE_FILE).read_text())
    assert model["subtitle"] == instance["overview"] == description
    assert sections["Fine-tuning"] in model["description"]
    assert (instance["framework"], instance["fineTunable"]) == ("tensorFlow2", True)
    assert "kagglehub.model_download(" in instance["usage"]
    assert "${VERSION_NUMBER}" in instance["usage"] and "path/to" not in instance["usage"]


def refusal(**changes):
    """The one-line reason `prepare` gives for the session export with `changes`."""
    with pytest.raises(PublishError) as raised:
        prepare(**changes)
    message = str(raised.value)
    assert message and "\n" not in message
    return message


@pytest.fixture
def arguments(export_dir, checkpoint_dir, tmp_path):
    return {"saved_model_dir": export_dir, "source": checkpoint_dir, "metadata_dir": tmp_path}


def test_placeholder_is_refused(arguments, tmp_path):
    doc = tmp_path / "doc.md"
    text = kaggle_metadata.DOC.read_text()
    description = kaggle_metadata.read_doc(kaggle_metadata.DOC)[0]
    doc.write_text(text.replace(description, "INSERT_SUBTITLE_HERE"))
    assert "placeholder 'INSERT_SUBTITLE_HERE'" in refusal(**arguments, doc=doc)


def test_export_on_another_filesystem_is_refused(arguments):
    message = refusal(**{**arguments, "saved_model_dir": "gs://bucket/export/1"})
    assert message.startswith("gs://bucket/export/1 is not on this machine: kagglehub uploads")


def test_unknown_license_is_refused(arguments):
    assert "'mpl-2.0' is not offered by Kaggle Models" in refusal(**arguments, license_id="mpl-2.0")


def test_handle_with_a_version_is_refused(arguments):
    message = refusal(**arguments, handle=f"{kaggle_metadata.HANDLE}/1")
    assert "names version 1: Kaggle numbers versions itself" in message


@pytest.fixture
def copied(export_dir, tmp_path):
    """A copy of the export with its package beside it, to break."""
    copy = tmp_path / "copy" / export_dir.name
    shutil.copytree(export_dir, copy)
    for suffix in (".tar.gz", ".tar.gz.sha256"):
        shutil.copy(f"{export_dir}{suffix}", f"{copy}{suffix}")
    return copy


def test_missing_variables_file_is_refused(arguments, copied):
    (copied / "variables" / "variables.index").unlink()
    message = refusal(**{**arguments, "saved_model_dir": copied})
    assert message.startswith("variables/variables.index is missing from")


def test_extra_file_is_refused(arguments, copied):
    (copied / "assets").mkdir(exist_ok=True)
    (copied / "assets" / "extra.txt").write_text("not exported")
    assert "assets/extra.txt in" in refusal(**{**arguments, "saved_model_dir": copied})


def tamper(path):
    content = bytearray(path.read_bytes())
    content[-1] ^= 1
    path.write_bytes(bytes(content))


def test_tampered_file_is_refused(arguments, copied):
    data = next((copied / "variables").glob("variables.data-*"))
    tamper(data)
    message = refusal(**{**arguments, "saved_model_dir": copied})
    assert message == f"variables/{data.name} differs from 1.tar.gz's (SHA-256): tampered"


@pytest.fixture
def unreachable_kaggle(monkeypatch, tmp_path):
    """kagglehub pointed, by its own settings, at localhost, where nothing listens.

    Made-up credentials (kagglehub refuses to upload without any), no proxy, an
    empty cache: the first request is refused by the operating system.
    """
    for name, value in {
        "KAGGLE_API_ENVIRONMENT": "LOCALHOST", "KAGGLE_USERNAME": "nobody",
        "KAGGLE_KEY": "0" * 32, "KAGGLE_CONFIG_DIR": str(tmp_path / "config"),
        "KAGGLEHUB_CACHE": str(tmp_path / "cache"), "NO_PROXY": "*", "no_proxy": "*",
    }.items():
        monkeypatch.setenv(name, value)


def test_upload_runs_up_to_the_network(plan, unreachable_kaggle):
    message = str(pytest.raises(PublishError, upload, plan).value)
    assert message.startswith("upload to Kaggle failed: ") and "\n" not in message
    assert "localhost" in message and "GetModel" in message  # Its first request.


def test_check_runs_up_to_the_network(export_dir, unreachable_kaggle):
    handle = f"{kaggle_metadata.HANDLE}/1"
    message = str(pytest.raises(PublishError, check, handle, export_dir).value)
    assert message.startswith(f"download of {handle} failed: ") and "\n" not in message
    assert "localhost" in message


def test_check_compares_what_was_downloaded(export_dir, copied):
    """What `check` does with the files `kagglehub.model_download` returns."""
    assert "the same outputs" in compare(copied, export_dir)
    tamper(copied / "variables" / "variables.index")
    with pytest.raises(PublishError, match="variables.index of the download differs"):
        compare(copied, export_dir)



def test_check_verifies_the_download_against_the_exports_signature(
    export_dir, copied, signing_keys
):
    """With the publisher's key, the download is checked against `1.sig` before it is loaded."""
    publisher, other = signing_keys["publisher"][1], signing_keys["other"][1]
    # What a Sigstore upload serves back: Kaggle's own signature, not the publisher's file.
    (copied / ".kaggle").mkdir()
    (copied / ".kaggle" / "signing.json").write_text("{}")
    summary = compare(copied, export_dir, public_key=publisher)
    assert summary.endswith(f", signature 1.sig verified with {publisher}")
    with pytest.raises(PublishError, match=r"^the download is refused: .* wrong public key$"):
        compare(copied, export_dir, public_key=other)
    tamper(copied / "variables" / "variables.index")
    with pytest.raises(PublishError, match=r"^the download is refused: variables/variables\.index "
                                           r"differs from what 1\.sig signed: tampered$"):
        compare(copied, export_dir, public_key=publisher)


def test_sigstore_upload_signs_a_copy_and_leaves_the_export_as_signed(
    plan, export_dir, signing_keys, unreachable_kaggle
):
    signed = dataclasses.replace(plan, sigstore=True)
    assert signed.call().endswith(", sigstore=True)") and "hard-linked copy of" in signed.call()
    assert f"kagglehub signs these {len(plan.manifest)} files with Sigstore" in str(signed)
    message = str(pytest.raises(PublishError, upload, signed).value)
    assert message.startswith("upload to Kaggle failed: ") and "\n" not in message
    # kagglehub's first request (GetModel) comes before it signs: the rest is Kaggle's.
    assert "GetModel" in message
    assert not (export_dir / ".kaggle").exists()
    assert [path.name for path in export_dir.parent.iterdir() if path.name.startswith("tmp")] == []
    verify_export(export_dir, signing_keys["publisher"][1])


@pytest.fixture
def tflite_beside(copied):
    """(the copy's `.tflite`, as `export --tflite_select_ops` writes it, or None; the refusal)."""
    try:
        return write_tflite(copied, tflite_path(copied), select_ops=True), None
    except TFLiteError as error:  # A model no TFLite kernel runs: there is no variation.
        return None, str(error)


def test_tflite_variation_is_planned_as_an_instance_of_its_own(arguments, copied, tflite_beside):
    written, refused = tflite_beside
    plan = prepare(**{**arguments, "saved_model_dir": copied}, verify=verify_saved_model)
    if written is None:
        assert refused.startswith("no TFLite kernel runs ") and plan.variation is None
        return
    variation = plan.variation
    owner, model, _, slug = kaggle_metadata.HANDLE.split("/")
    assert variation.handle == f"{owner}/{model}/tfLite/{slug}"
    assert variation.manifest == {"1.tflite": written.sha256}
    assert sorted(p.name for p in variation.directory.iterdir()) == ["1.tflite"]
    assert kaggle_metadata.problems(variation.metadata_dir) == []
    instance = json.loads((variation.metadata_dir / kaggle_metadata.INSTANCE_FILE).read_text())
    assert (instance["framework"], instance["fineTunable"]) == ("tfLite", False)
    assert "from ai_edge_litert.interpreter import Interpreter" in instance["usage"]
    assert plan.instances() == [plan, variation] and "its TFLite variation" in str(plan)
    # A Flex .tflite is published with a note: pip's LiteRT cannot run it to check.
    assert bool(written.flex_ops) == any("Flex ops: not run" in note for note in variation.notes)
    summary = compare_variation(variation.directory, copied)
    assert ("Flex ops: not run" if written.flex_ops else "LiteRT computes the") in summary




def test_tflite_other_than_exported_is_refused(arguments, copied):
    path = Path(tflite_path(copied))
    path.write_bytes(b"not what export --tflite wrote")
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(b'what it wrote').hexdigest()}  1.tflite\n")
    message = refusal(**{**arguments, "saved_model_dir": copied})
    assert message == (
        f"its TFLite variation: {path} is not the file export --tflite wrote: its .sha256 differs"
    )
