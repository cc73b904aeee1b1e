"""Vocabulary files travel with the SavedModel as assets; the tokenizer's unknown words get buckets.

The asset tests follow the model: every file its lookup tables read (the
example's `vocabulary.txt`, or none for a vocabulary given as a list) must be an
asset of the export, and the export must keep working when moved.
"""

import os
from pathlib import Path
import shutil

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from {{ cookiecutter.package_name }}.checkpoint import trackables
from {{ cookiecutter.package_name }}.model import OUTPUT_KEY
from {{ cookiecutter.package_name }}.tokenizer import (
    MAX_TOKENS,
    NUM_OOV_BUCKETS,
    TFLITE_SELECT_OPS,
    VOCABULARY_FILE,
    Tokenizer,
)
from {{ cookiecutter.package_name }}.verify import differing_outputs, inference_outputs

VOCABULARY = VOCABULARY_FILE.read_text().split("\n")[:-1]
MODEL_DOC = next((Path(__file__).resolve().parents[1] / "assets" / "docs").rglob("models/*/*.md"))


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer(VOCABULARY_FILE, NUM_OOV_BUCKETS, MAX_TOKENS)


def model_files(model):
    """The files the model's lookup tables read (TensorFlow tracks them as assets)."""
    return {
        Path(trackable.asset_path.numpy().decode())
        for trackable in trackables(model) if isinstance(trackable, tf.saved_model.Asset)
    }


def test_every_file_the_model_reads_is_an_asset_not_graph_constants(export_dir, source_model):
    files = model_files(source_model)
    exported = export_dir / "assets"
    assert sorted(p.name for p in exported.iterdir()) == sorted(f.name for f in files)
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((export_dir / "saved_model.pb").read_bytes())
    graph = saved_model.meta_graphs[0].graph_def
    nodes = [*graph.node, *(node for f in graph.library.function for node in f.node_def)]
    largest = max(
        (len(node.attr["value"].tensor.string_val) for node in nodes if node.op == "Const"),
        default=0,
    )
    for file in files:
        assert (exported / file.name).read_bytes() == file.read_bytes()
        lines = len(file.read_text().splitlines())
        assert largest < lines, f"the contents of {file.name} are baked into the graph"


def test_moved_export_reads_its_own_copy_of_each_asset(
    export_dir, source_model, inputs, tmp_path
):
    expected = inference_outputs(source_model, inputs)
    first, moved = tmp_path / "first", tmp_path / "moved"
    shutil.copytree(export_dir, first)
    loaded = tf.saved_model.load(str(first))
    os.rename(first, moved)  # The export directory moves after loading...
    del loaded
    loaded = tf.saved_model.load(str(moved))  # ...and loads from its new place.
    assert not differing_outputs(loaded(inputs), expected, OUTPUT_KEY)
    # Reversing one of the moved copy's files changes its outputs: it reads each file.
    for asset in sorted((moved / "assets").iterdir()):
        original = asset.read_bytes()
        asset.write_text("\n".join(reversed(original.decode().splitlines())) + "\n")
        changed = tf.saved_model.load(str(moved))(inputs)
        assert differing_outputs(changed, expected, OUTPUT_KEY), f"{asset.name} is not read"
        asset.write_bytes(original)


def test_unknown_words_hash_into_the_out_of_vocabulary_buckets(tokenizer):
    unknown = [f"unknownword{i}" for i in range(40)]
    ids = tokenizer(tf.constant([" ".join(unknown[i:i + MAX_TOKENS]) for i in (0, 16)])).numpy()
    assert ((ids >= len(VOCABULARY)) & (ids < len(VOCABULARY) + NUM_OOV_BUCKETS)).all()
    assert len(np.unique(ids)) > NUM_OOV_BUCKETS // 2, "unknown words should spread over buckets"
    assert tokenizer.vocabulary_size == len(VOCABULARY) + NUM_OOV_BUCKETS


def test_tokenizer_lowercases_splits_pads_and_truncates(tokenizer):
    words = VOCABULARY[: MAX_TOKENS + 4]
    ids = tokenizer(tf.constant([
        f"{words[0].upper()}\t {words[1].capitalize()}\n{words[2]}", " ".join(words), "",
    ])).numpy()
    assert ids.shape == (3, MAX_TOKENS)
    assert ids[0].tolist() == [0, 1, 2] + [-1] * (MAX_TOKENS - 3)
    assert ids[1].tolist() == list(range(MAX_TOKENS))
    assert ids[2].tolist() == [-1] * MAX_TOKENS


def test_model_doc_states_the_vocabulary_and_tflite_facts():
    doc = " ".join(MODEL_DOC.read_text().split())
    assert f"({len(VOCABULARY)} words, one per line)" in doc
    assert f"{NUM_OOV_BUCKETS} out-of-vocabulary buckets" in doc
    assert f"first {MAX_TOKENS} words" in doc
    for op in TFLITE_SELECT_OPS:
        assert f"`{op}`" in doc
