"""One SavedModel saved, then checked: by servers' rules, the op scan and the verifier.

`save_verified` is the heart of `export`: it saves `model.py`'s model through
`ReusableModule` into an empty (staged) directory, with TF Serving's warmup
requests; checks what TF Serving and Vertex AI require (`serving_checks.py`);
scans for unsafe ops (`op_allowlist.py`); and verifies every consumer's view
(`verify.py`), by default in a fresh Python process. Where it goes next is
`export_lib.py`'s job; the benchmark times it alone.
"""

import contextlib

import tensorflow as tf

from {{ cookiecutter.package_name }}.exporter.errors import ExportError, first_line
from {{ cookiecutter.package_name }}.exporter.example_inputs import (
    check_accepted,
    example_inputs,
)
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations
from {{ cookiecutter.package_name }}.exporter.fingerprint import (
    make_fingerprint_deterministic,
)
from {{ cookiecutter.package_name }}.exporter.fresh_process import FreshProcessVerifier
from {{ cookiecutter.package_name }}.exporter.input_signature import InputsError
from {{ cookiecutter.package_name }}.exporter.op_allowlist import (
    REASONS,
    scan_saved_model,
)
from {{ cookiecutter.package_name }}.exporter.reusable import (
    HyperparametersError,
    OutputsError,
    ReusableModule,
    save_reusable,
)
from {{ cookiecutter.package_name }}.exporter.serving_checks import (
    ServingCheckError,
    check_served,
)
from {{ cookiecutter.package_name }}.exporter.verify import VerificationError
from {{ cookiecutter.package_name }}.exporter.warmup import BATCH_SIZES, write_requests
from {{ cookiecutter.package_name }}.model import (
    HYPERPARAMETERS,
    INPUT_SIGNATURE,
    OUTPUT_KEY,
)


def reusable_module(model):
    """`ReusableModule` of `model` with the interface `model.py`'s contract declares.

    Here, not in reusable.py: the fresh-process verifier imports reusable.py, and
    must not import `model.py`, whose imports (a custom op library, say) would
    make a SavedModel load there that loads nowhere else.
    """
    return ReusableModule(model, INPUT_SIGNATURE, OUTPUT_KEY, HYPERPARAMETERS)

def save_verified(model, path, verify=None, *, warmup=True, version=None):
    """Saves `model` to the empty directory `path`, then scans and verifies what was written.

    `verify` and `warmup` as for `export_saved_model`; `version`: the version
    number it is to be moved into place as, checked by `serving_checks.py`.
    Returns:
      the verification `Report`.
    Raises:
      ExportError: writing failed, or the SavedModel holds an unsafe op or fails verification.
    """
    with contextlib.ExitStack() as stack:
        if verify is None:  # The fresh process starts now, to import while this one saves.
            verify = stack.enter_context(FreshProcessVerifier()).verify
        try:  # First: it refuses inputs and outputs the interface cannot serve.
            module = reusable_module(model)
            inputs = example_inputs(4, seed=1)
            check_accepted(model, inputs)
        except (InputsError, OutputsError, HyperparametersError) as error:
            raise ExportError(str(error)) from None
        expected = Expectations.of_model(model, inputs, OUTPUT_KEY)
        try:
            save_reusable(module, path)
            make_fingerprint_deterministic(path)
            if warmup:  # Before the checks: the file is part of what is checked and verified.
                write_requests(path, example_inputs(max(BATCH_SIZES), seed=1))
        except (OSError, tf.errors.OpError) as error:
            reason = getattr(error, "strerror", None) or first_line(error, limit=None)
            raise ExportError(f"writing the SavedModel to {path} failed: {reason}") from None
        try:  # What TF Serving and Vertex AI require, before seconds of verification.
            check_served(path, version=version)
        except ServingCheckError as error:
            raise ExportError(str(error)) from None
        findings = scan_saved_model(path)
        if findings:
            finding = findings[0]
            message = f"unsafe op in the SavedModel: {finding}"
            if finding.op not in REASONS:  # Unlisted, it may be as harmless as a matmul.
                message += "; if it only computes, add it to MODEL_OPS in exporter/op_allowlist.py"
            raise ExportError(message)
        try:
            return verify(path, expected)
        except VerificationError as error:
            raise ExportError(f"the written SavedModel failed verification: {error}") from None
