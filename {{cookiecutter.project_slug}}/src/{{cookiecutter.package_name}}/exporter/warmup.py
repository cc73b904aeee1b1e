"""TF Serving's warmup requests: written into the export, read back and replayed by the verifier.

A freshly loaded SavedModel pays for its graph set-up (seconds, on large
models) on its first requests. TF Serving replays the requests in
`assets.extra/tf_serving_warmup_requests` (a TFRecord file of `PredictionLog`s,
at most 1,000) before it serves a version, so that no client pays. No exporter
writes the file (Keras' `model.export` does not; tensorflow/serving#1528 asks
for it): `export` writes one `PredictRequest` for `serving_default` per batch
size in `BATCH_SIZES`, from the project's example inputs.

The file is part of what is verified and packed, so it must be the same bytes
on every rebuild: a TFRecord holds only each record's length, data and CRCs
(no names, no times), and every proto is serialized deterministically.

This module must not import `model.py` or `data.py`: the fresh-process
verifier imports it (`verify.py`). The export passes the example inputs in.
"""

from google.protobuf import message
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from {{ cookiecutter.package_name }}.exporter.errors import first_line

# Where TF Serving looks for the file, relative to the SavedModel (and what packs admit).
WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"
# A request a client sends alone, and a batch as a server's batching or a batch client sends.
BATCH_SIZES = (1, 8)
SIGNATURE = "serving_default"


class WarmupError(Exception):
    """A warmup request does not run through the loaded `serving_default`."""


def write_requests(export_dir, examples):
    """Writes one `PredictRequest` per batch size in `BATCH_SIZES` into `export_dir`'s warmup file.

    Args:
      export_dir: a written SavedModel (a local directory); its `serving_default`
        names the input.
      examples: at least `max(BATCH_SIZES)` example inputs (`example_inputs.py`),
        a dict of them for several inputs; each request takes the first so many.
    Returns:
      the batch size of each request written, in order; () for a SavedModel
      without `serving_default`, which `serving_checks.py` refuses next.
    """
    serving_inputs = _serving_inputs(export_dir)
    if not serving_inputs:
        return ()
    if not isinstance(examples, dict):  # One input, whatever the signature calls it.
        ((name, _),) = serving_inputs.items()
        examples = {name: examples}
    path = tf.io.gfile.join(str(export_dir), WARMUP_FILE)
    tf.io.gfile.makedirs(tf.io.gfile.join(str(export_dir), "assets.extra"))
    with tf.io.TFRecordWriter(path) as writer:
        for batch_size in BATCH_SIZES:
            request = predict_pb2.PredictRequest(
                # No model name: the server names the model (--model_name), and
                # warmup runs the request on the version it loads, whatever the name.
                model_spec=model_pb2.ModelSpec(signature_name=SIGNATURE),
            )
            for name, dtype in serving_inputs.items():
                request.inputs[name].CopyFrom(
                    tf.make_tensor_proto(examples[name][:batch_size], dtype=dtype)
                )
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString(deterministic=True))
    return BATCH_SIZES


def read_requests(export_dir):
    """The `PredictRequest`s in `export_dir`'s warmup file, in order; [] if it has none.

    Raises:
      WarmupError: the file is no TFRecord of `PredictionLog`s.
    """
    path = tf.io.gfile.join(str(export_dir), WARMUP_FILE)
    if not tf.io.gfile.exists(path):
        return []
    try:
        return [
            prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
            for record in tf.data.TFRecordDataset(path)
        ]
    except (tf.errors.OpError, message.DecodeError) as error:
        raise WarmupError(f"{WARMUP_FILE} cannot be read: {first_line(error)}") from None


def replay_requests(loaded, requests):
    """Runs every request through `loaded`'s signature, as TF Serving's warmup does.

    Returns:
      the batch size of each request.
    Raises:
      WarmupError: naming the first request that does not run, and why, in one line.
    """
    batch_sizes = []
    for number, request in enumerate(requests, start=1):
        signature = request.model_spec.signature_name or SIGNATURE
        try:
            inputs = {name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()}
            loaded.signatures[signature](**{name: tf.constant(value)
                                            for name, value in inputs.items()})
        except (KeyError, TypeError, ValueError, tf.errors.OpError) as error:
            shapes = ", ".join(f"{name}: {tf.dtypes.as_dtype(tensor.dtype).name}"
                               f"{[dim.size for dim in tensor.tensor_shape.dim]}"
                               for name, tensor in sorted(request.inputs.items()))
            raise WarmupError(
                f"warmup request {number} ({signature}, {shapes}) in {WARMUP_FILE} "
                f"does not run: {first_line(error)}"
            ) from None
        batch_sizes.append(batch_size(request))
    return tuple(batch_sizes)


def describe(batch_sizes):
    """The report's value: `assets.extra/... (2 requests: batch 1, 8)`."""
    batches = ", ".join(map(str, batch_sizes))
    return f"{WARMUP_FILE} ({len(batch_sizes)} requests: batch {batches})"


def warmup_fact(export_dir):
    """The model doc's fact: what TF Serving replays when it loads the export, or nothing."""
    requests = read_requests(export_dir)
    if not requests:
        return "none (exported with --nowarmup): the first requests pay for the graph's set-up"
    sizes = " and ".join(str(batch_size(request)) for request in requests)
    return (
        f"`{WARMUP_FILE}`: {len(requests)} `PredictRequest`s for `serving_default`, "
        f"example inputs at batch sizes {sizes}"
    )


def batch_size(request):
    """The first dimension of a request's inputs (0 for a scalar input)."""
    dims = [tensor.tensor_shape.dim for tensor in request.inputs.values()]
    return dims[0][0].size if dims and dims[0] else 0


def _serving_inputs(export_dir):
    """`{name: dtype}` of `serving_default`'s inputs, as `saved_model.pb` declares them."""
    with tf.io.gfile.GFile(tf.io.gfile.join(str(export_dir), "saved_model.pb"), "rb") as file:
        saved_model = saved_model_pb2.SavedModel.FromString(file.read())
    signatures = [graph.signature_def[SIGNATURE] for graph in saved_model.meta_graphs
                  if SIGNATURE in graph.signature_def]
    if not signatures:
        return {}
    return {name: tf.dtypes.as_dtype(tensor.dtype)
            for name, tensor in sorted(signatures[0].inputs.items())}
