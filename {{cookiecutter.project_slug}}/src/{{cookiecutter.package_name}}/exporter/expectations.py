"""What the in-memory model computes (`Expectations`), and what its export was verified to keep.

`export_lib.py` records the `Expectations` before the model is gone and hands them,
saved as a `.npz` file, to the fresh verifying process (`fresh_process.py`),
which checks the SavedModel against them and answers with a `Report`.
"""

import dataclasses

import numpy as np

from {{ cookiecutter.package_name }}.exporter.outputs import (
    bytes_as_array,
    inference_outputs,
)
from {{ cookiecutter.package_name }}.exporter.report import format_fields
from {{ cookiecutter.package_name }}.exporter.reusable import as_dict, weight_penalties
from {{ cookiecutter.package_name }}.exporter.warmup import describe


@dataclasses.dataclass(frozen=True)
class Expectations:
    """What the in-memory model computes, for checking an export without the model."""

    output_key: str
    inputs: object  # np.ndarray, or {name: np.ndarray} for a dict INPUT_SIGNATURE.
    outputs: dict  # Output name -> np.ndarray, as the serving signature names them.
    regularization_losses: np.ndarray
    num_variables: int
    num_trainable_variables: int

    @classmethod
    def of_model(cls, model, inputs, output_key):
        return cls(
            output_key=output_key,
            inputs=inputs,
            outputs=as_dict(inference_outputs(model, inputs), output_key),
            regularization_losses=np.array([float(loss) for loss in weight_penalties(model)]),
            num_variables=len(model.variables),
            num_trainable_variables=len(model.trainable_variables),
        )

    def save(self, path):
        values = dataclasses.asdict(self)
        outputs = {
            f"outputs/{name}": bytes_as_array(value)
            for name, value in values.pop("outputs").items()
        }
        inputs = values.pop("inputs")
        if isinstance(inputs, dict):
            inputs = {f"inputs/{name}": bytes_as_array(value) for name, value in inputs.items()}
        else:
            inputs = {"inputs": bytes_as_array(inputs)}
        np.savez(path, **values, **outputs, **inputs)

    @classmethod
    def load(cls, path):
        with np.load(path) as arrays:
            values = {name: arrays[name] for name in arrays.files}
        outputs, inputs = (
            {name.removeprefix(prefix): values.pop(name)
             for name in list(values) if name.startswith(prefix)}
            for prefix in ("outputs/", "inputs/")
        )
        return cls(
            inputs=values.pop("inputs", inputs),
            output_key=str(values.pop("output_key")),
            outputs=outputs,
            num_variables=int(values.pop("num_variables")),
            num_trainable_variables=int(values.pop("num_trainable_variables")),
            **values,
        )


@dataclasses.dataclass(frozen=True)
class Report:
    """What was verified, for the export report."""

    path: str
    signature: str
    num_variables: int
    num_trainable_variables: int
    regularization_losses: tuple
    size_bytes: int
    warmup_batches: tuple = ()  # The batch size of each TF Serving warmup request replayed.

    def fields(self):
        """The export report's lines for what was verified (`report.py` lays them out)."""
        losses = ", ".join(f"{loss:.6g}" for loss in self.regularization_losses) or "none"
        warmup = [("warmup", describe(self.warmup_batches))] if self.warmup_batches else []
        return [
            ("SavedModel", self.path),
            ("serving_default", self.signature),
            ("variables", f"{self.num_variables} ({self.num_trainable_variables} trainable)"),
            ("regularization losses", f"{len(self.regularization_losses)} ({losses})"),
            ("size", f"{self.size_bytes:,} bytes"),
            *warmup,
        ]

    def __str__(self):
        return format_fields(self.fields())
