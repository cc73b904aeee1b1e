"""The upload package holds exactly the SavedModel, reproducibly, and loads once unpacked,
by hand or by TF Hub from a URL."""

import functools
import hashlib
import http.server
from pathlib import Path
import shutil
import tarfile
import threading

import pytest
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
    same_values,
)
from {{ cookiecutter.package_name }}.exporter.pack import (
    ARCHIVE_NAME,
    PackError,
    pack_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY

from consumer_defaults import keras_defaults
from model_io import stacked

DOC = next(Path(__file__).resolve().parents[2].glob("assets/docs/*/models/*/*.md"))


@pytest.fixture(scope="module")
def archive(export_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("package") / ARCHIVE_NAME
    digest = pack_saved_model(export_dir, path)
    return path, digest


def test_archive_holds_only_saved_model_files_and_their_directories(archive, export_dir):
    path, _ = archive
    with tarfile.open(path) as tar:
        members = tar.getmembers()
    names = [member.name for member in members]
    assert names == sorted(names)  # And so each directory before what it holds.
    files = [p.relative_to(export_dir) for p in export_dir.rglob("*") if p.is_file()]
    # TF Hub's extractor writes a file only into a directory the archive has an entry for.
    directories = {parent.as_posix() for file in files for parent in file.parents} - {"."}
    assert names == sorted([*(file.as_posix() for file in files), *directories])
    assert "saved_model.pb" in names and "variables" in names
    for member in members:
        # Regular files and their directories only: no links, devices or other entries.
        assert member.isdir() if member.name in directories else member.isreg(), member.name
        assert not member.name.startswith(("/", ".")) and ".." not in member.name.split("/")
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert (member.mtime, member.mode) == (0, 0o644 if member.isreg() else 0o755)


def test_same_export_packs_to_the_same_bytes(archive, export_dir, tmp_path):
    path, digest = archive
    again = tmp_path / ARCHIVE_NAME
    assert pack_saved_model(export_dir, again) == digest
    assert again.read_bytes() == path.read_bytes()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert Path(f"{path}.sha256").read_text() == f"{digest}  {ARCHIVE_NAME}\n"


def test_existing_archive_is_refused_without_overwrite(archive, export_dir):
    path, digest = archive
    with pytest.raises(PackError, match="exists; pass --overwrite"):
        pack_saved_model(export_dir, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert pack_saved_model(export_dir, path, overwrite=True) == digest


def extract_data_only(tar, destination):
    """Unpacks what tarfile's "data" filter allows: files and directories inside `destination`.

    The filter arrived in Python 3.10.12 and 3.11.4; requires-python admits older patch
    releases (Debian 12's python3 is 3.11.2), where the same rule is checked here first.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(destination, filter="data")
        return
    for member in tar.getmembers():
        inside = not member.name.startswith("/") and ".." not in member.name.split("/")
        assert inside and (member.isreg() or member.isdir()), f"unsafe member {member.name}"
    tar.extractall(destination)


def test_unpacked_archive_loads_and_computes_the_same(archive, tmp_path, source_model, inputs):
    path, _ = archive
    with tarfile.open(path) as tar:
        extract_data_only(tar, tmp_path / "unpacked")
    loaded = tf.saved_model.load(str(tmp_path / "unpacked"))
    expected = inference_outputs(source_model, inputs)
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)


def test_model_doc_asset_path_names_the_package():
    assert f"<!-- asset-path: {ARCHIVE_NAME} -->" in DOC.read_text()


@pytest.mark.parametrize("intruder", [".DS_Store", "notes.txt", "variables/.hidden", "link"])
def test_foreign_files_are_refused(export_dir, tmp_path, intruder):
    copy = tmp_path / "copy"
    shutil.copytree(export_dir, copy)
    if intruder == "link":
        (copy / "assets" / "link").symlink_to("/etc/passwd")
    else:
        (copy / intruder).write_text("not part of a SavedModel")
    with pytest.raises(PackError):
        pack_saved_model(copy, tmp_path / ARCHIVE_NAME)
    assert not (tmp_path / ARCHIVE_NAME).exists()


# --- Loaded by TF Hub from a URL, as self-hosted models are shared -----------------------------


@pytest.fixture(scope="module")
def package_url(export_dir):
    """The URL of the package `export --pack` wrote, served over HTTP from 127.0.0.1."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=export_dir.parent)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}/{export_dir.name}.tar.gz"
        server.shutdown()
        thread.join()


@pytest.fixture
def hub_cache(monkeypatch, tmp_path):
    """An empty TF Hub cache of the test's own: the load must download and unpack the package.

    tensorflow_hub reads TFHUB_CACHE_DIR at each load. Without it, a package unpacked
    into the shared default cache by an earlier run could stand in for this one.
    """
    cache = tmp_path / "tfhub_cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    # An http_proxy of the environment would otherwise get the request for 127.0.0.1.
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return cache


@pytest.fixture(scope="module")
def local_export(export_dir):
    return tf.saved_model.load(str(export_dir))


def files_under(directory):
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def test_hub_load_of_the_package_url_computes_as_the_export(
    package_url, hub_cache, local_export, export_dir, inputs
):
    loaded = hub.load(package_url)
    assert not differing_outputs(loaded(inputs), local_export(inputs), OUTPUT_KEY)
    unpacked = Path(hub.resolve(package_url))  # Where the load unpacked it, in the empty cache.
    assert unpacked.parent == hub_cache
    assert files_under(unpacked) == files_under(export_dir)


def test_keras_layer_of_the_package_url_computes_as_the_export(
    package_url, hub_cache, local_export, inputs
):
    expected = local_export(inputs)
    # hub.KerasLayer takes one output: the one under OUTPUT_KEY when the model returns a dict.
    output_key = OUTPUT_KEY if isinstance(expected, dict) else None
    with keras_defaults():
        model = stacked(tf_keras, [hub.KerasLayer(package_url, output_key=output_key)])
    assert same_values(model(inputs).numpy(), as_dict(expected, OUTPUT_KEY)[OUTPUT_KEY])
    assert Path(hub.resolve(package_url)).parent == hub_cache
