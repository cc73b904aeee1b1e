"""The TFLite variation on Kaggle Models: `export --tflite`'s file, as an instance of its own.

Kaggle Models shows a model's TFLite variation beside its TensorFlow 2 one: the
same model and variation slugs, framework `tfLite`, as TF Hub's models were
published. `prepare_variation` checks the `.tflite` beside the export offline
(its SHA-256 against the `.sha256` export wrote; LiteRT runs it and computes
what the SavedModel does) and stages it alone, with metadata of its own, in a
`Plan` that `publish` uploads after the SavedModel's. `compare_variation`
checks a download of it the same way.
"""

from pathlib import Path
import shutil

from {{ cookiecutter.package_name }}.exporter import kaggle_metadata
from {{ cookiecutter.package_name }}.exporter.filesystems import sha256
from {{ cookiecutter.package_name }}.exporter.litert_check import (
    TFLiteError,
    compare_with_saved_model,
    require_litert,
)
from {{ cookiecutter.package_name }}.exporter.tflite import FLEX_RUNTIME, tflite_path
from {{ cookiecutter.package_name }}.exporter.upload_plan import Plan

FRAMEWORK = "tfLite"
CHECKS = (
    "the .tflite's SHA-256 equal to its .sha256 (export --tflite wrote both)",
    "LiteRT runs it and computes the SavedModel's outputs (litert_check.py), unless Flex ops",
    "metadata as for the SavedModel, framework tfLite, not fine-tunable",
)


class VariationError(Exception):
    """The `.tflite` beside the export is not the one export wrote, or computes otherwise."""


def variation_handle(handle):
    """`owner/model/tensorFlow2/variation` -> `owner/model/tfLite/variation`."""
    owner, model, _, variation = handle.split("/")
    return f"{owner}/{model}/{FRAMEWORK}/{variation}"


def prepare_variation(saved_model_dir, metadata_dir, *, handle, doc, license_id, version_notes):
    """The `Plan` of the `.tflite` beside `saved_model_dir`, checked; None if it has none."""
    path = Path(tflite_path(saved_model_dir))
    if not path.exists():
        return None
    digest = sha256(path)
    recorded = path.with_name(f"{path.name}.sha256")
    if not recorded.exists() or recorded.read_text().split()[:1] != [digest]:
        raise VariationError(f"{path} is not the file export --tflite wrote: its .sha256 differs")
    notes = _run_note(path.read_bytes(), saved_model_dir)
    handle = variation_handle(handle)
    documents = kaggle_metadata.build(doc, license_id, handle)
    instance = documents[kaggle_metadata.INSTANCE_FILE]
    instance["fineTunable"] = False  # A .tflite computes; it has no training mode.
    instance["usage"] = usage(handle, path.name)
    kaggle_metadata.write(documents, metadata_dir)
    problems = kaggle_metadata.problems(metadata_dir)
    if problems:
        raise VariationError(problems[0])
    upload_dir = metadata_dir / "files"  # Only the .tflite: kagglehub uploads a directory.
    shutil.rmtree(upload_dir, ignore_errors=True)
    upload_dir.mkdir()
    shutil.copyfile(path, upload_dir / path.name)
    return Plan(
        handle=handle, directory=upload_dir, license_name=instance["licenseName"],
        version_notes=version_notes, metadata_dir=metadata_dir,
        manifest={path.name: digest}, notes=notes, checks=CHECKS,
    )


def _run_note(flatbuffer, saved_model_dir):
    """() when LiteRT computes what the SavedModel does; a note when it cannot run Flex ops."""
    try:
        require_litert()
        difference, bound = compare_with_saved_model(flatbuffer, saved_model_dir)
    except RuntimeError as error:  # LiteRT's own error: Select TF ops need the Flex delegate.
        if "Flex" not in str(error):
            raise VariationError(f"LiteRT cannot run the .tflite: {error}") from None
        return (f"the .tflite holds Flex ops: not run here; it needs {FLEX_RUNTIME}",)
    except TFLiteError as error:
        raise VariationError(str(error)) from None
    if not difference <= bound:  # NaN too.
        raise VariationError(
            f"LiteRT computes the .tflite {difference:.3g} away from the SavedModel (bound "
            f"{bound:.3g}): export --tflite --overwrite again"
        )
    return ()


def usage(handle, file_name):
    """Kaggle's usage text for the variation: download, then LiteRT's signature runner."""
    versioned = handle.rsplit("/", 1)[0] + "/${VARIATION_SLUG}/${VERSION_NUMBER}"
    return (
        "```python\nimport kagglehub\nfrom ai_edge_litert.interpreter import Interpreter\n\n"
        f'path = kagglehub.model_download("{versioned}")\n'
        'interpreter = Interpreter(model_path=f"{path}/' + file_name + '")\n'
        'outputs = interpreter.get_signature_runner("serving_default")(**inputs)\n```\n\n'
        "`inputs` names each input of the model's `serving_default` signature, as the "
        "TensorFlow 2 variation's page lists them (`pip install ai-edge-litert`)."
    )


def compare_variation(downloaded, saved_model_dir):
    """A summary: `downloaded` holds the local `.tflite`, byte for byte, and LiteRT runs it."""
    path = Path(tflite_path(saved_model_dir))
    theirs = sorted(p.name for p in downloaded.iterdir() if p.is_file())
    if theirs != [path.name] or sha256(downloaded / path.name) != sha256(path):
        raise VariationError(f"the TFLite download holds {theirs}, not {path.name} as exported")
    notes = _run_note((downloaded / path.name).read_bytes(), saved_model_dir)
    run = "; ".join(notes) or "LiteRT computes the SavedModel's outputs"
    return f"{downloaded}: {path.name} with the export's SHA-256; {run}"
