"""TF Serving's warmup requests: in the export, replayed by the verifier, rebuilt byte for byte."""

from pathlib import Path
import shutil
import tarfile

import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from {{ cookiecutter.package_name }}.exporter import report
from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
from {{ cookiecutter.package_name }}.exporter.fresh_process import verify_in_fresh_process
from {{ cookiecutter.package_name }}.exporter.outputs import (
    differing_outputs,
    inference_outputs,
    same_values,
)
from {{ cookiecutter.package_name }}.exporter.reusable import ReusableModule, save_reusable
from {{ cookiecutter.package_name }}.exporter.verify import (
    VerificationError,
    verify_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.warmup import (
    BATCH_SIZES,
    WARMUP_FILE,
    describe,
    read_requests,
    warmup_fact,
    write_requests,
)
from {{ cookiecutter.package_name }}.model import INPUT_SIGNATURE, OUTPUT_KEY

from model_io import first, first_entry, input_specs, named_inputs, of_another_dtype
from stand_in import StandIn

# What the export writes the requests from: the example inputs, as many as the largest batch.
EXAMPLES = example_inputs(max(BATCH_SIZES), seed=1)
DOC = next(Path(__file__).resolve().parents[2].glob("assets/docs/*/models/*/*.md"))


def test_session_export_replays_its_warmup_requests_as_the_model_computes(
    export_run, source_model
):
    export_dir, (_, printed, _) = export_run
    assert report.read(printed)["warmup"] == describe(BATCH_SIZES)
    requests = read_requests(export_dir)
    assert [request.model_spec.signature_name for request in requests] == ["serving_default"] * 2
    serving = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    for batch_size, request in zip(BATCH_SIZES, requests, strict=True):
        examples = named_inputs(first(EXAMPLES, batch_size))
        assert sorted(request.inputs) == sorted(examples), "one entry per input, by name"
        inputs = {name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()}
        for name, tensor in request.inputs.items():
            assert tensor.dtype == input_specs()[name].dtype.as_datatype_enum
            # Strings come back as bytes: compared as TensorFlow holds the examples.
            assert same_values(inputs[name], tf.constant(examples[name]).numpy())
        outputs = serving(**{name: tf.constant(values) for name, values in inputs.items()})
        expected = inference_outputs(source_model, first(EXAMPLES, batch_size))
        assert not differing_outputs(outputs, expected, OUTPUT_KEY), f"batch {batch_size}"


def test_rebuilds_carry_the_same_warmup_bytes_into_their_packages(racing_exports):
    """Two exports of one checkpoint (test_export.py compares all their files) hold it alike."""
    serving = racing_exports["root"] / "serving"
    first, second = (serving / version / WARMUP_FILE for version in ("1", "2"))
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(serving / "1.tar.gz") as tar:
        packed = tar.extractfile(WARMUP_FILE).read()
    assert packed == first.read_bytes()


def test_model_doc_says_what_the_warmup_file_holds():
    # What this export holds: the doc's Export facts, which test_model_doc.py compares
    # with the export's, line for line.
    doc = " ".join(DOC.read_text().split())
    sizes = " and ".join(map(str, BATCH_SIZES))
    assert f"- TF Serving warmup: `{WARMUP_FILE}`: {len(BATCH_SIZES)} `PredictRequest`s" in doc
    assert f"example inputs at batch sizes {sizes}." in doc


def test_nowarmup_export_facts_say_there_is_none(stand_in_export, tmp_path):
    path = tmp_path / "cold"
    shutil.copytree(stand_in_export[0], path)
    shutil.rmtree(path / "assets.extra")
    assert warmup_fact(path).startswith("none (exported with --nowarmup)")


@pytest.fixture(scope="module")
def stand_in_export(tmp_path_factory, inputs):
    """(path, Expectations) of the stand-in's SavedModel with warmup requests: any input runs."""
    model = StandIn()
    path = tmp_path_factory.mktemp("stand_in") / "saved_model"
    save_reusable(ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY), path)
    assert write_requests(path, EXAMPLES) == BATCH_SIZES
    return path, Expectations.of_model(model, inputs, OUTPUT_KEY)


def corrupted(stand_in_export, tmp_path, corrupt):
    """A copy of the stand-in's export whose first warmup request `corrupt(request)` changed."""
    path, _ = stand_in_export
    copy = tmp_path / "corrupted"
    shutil.copytree(path, copy)
    requests = read_requests(copy)
    corrupt(requests[0])
    with tf.io.TFRecordWriter(str(copy / WARMUP_FILE)) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog()
            log.predict_log.request.CopyFrom(request)
            writer.write(log.SerializeToString(deterministic=True))
    return copy


def test_stand_in_requests_pass_and_are_reported(stand_in_export):
    path, expected = stand_in_export
    assert verify_saved_model(path, expected).warmup_batches == BATCH_SIZES


def test_request_of_a_wrong_dtype_is_refused_in_one_line(stand_in_export, tmp_path):
    name, values = first_entry(EXAMPLES)  # Of several inputs, the first.
    wrong = of_another_dtype(name, values[:1])  # A number where it takes a string, say.

    def retyped(request):
        request.inputs[name].CopyFrom(tf.make_tensor_proto(wrong))

    path = corrupted(stand_in_export, tmp_path, retyped)
    dtype = tf.dtypes.as_dtype(wrong.dtype).name
    with pytest.raises(VerificationError) as refusal:
        verify_saved_model(path, stand_in_export[1])
    message = str(refusal.value)
    assert message.startswith("warmup request 1 (serving_default, ") and "\n" not in message
    assert f": {dtype}[" in message and f"in {WARMUP_FILE} does not run: " in message


def test_request_for_a_wrong_input_name_is_refused_by_the_fresh_process(stand_in_export, tmp_path):
    def renamed(request):
        name = sorted(request.inputs)[0]
        request.inputs["not_an_input"].CopyFrom(request.inputs[name])
        del request.inputs[name]

    path = corrupted(stand_in_export, tmp_path, renamed)
    with pytest.raises(VerificationError, match=r"^warmup request 1 \(serving_default, (.*, )?"
                       r"not_an_input: .*\) in .* does not run: [^\n]+$"):
        verify_in_fresh_process(path, stand_in_export[1])
