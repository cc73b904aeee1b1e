"""Kaggle Models metadata for this export, derived from the model doc and the project's answers.

The model doc (tfhub.dev format, `assets/docs/...`) stays the one text: the
`kaggle` CLI's `model-metadata.json` (`kaggle models create/update -p DIR`) and
`model-instance-metadata.json` (`kaggle models instances update -p DIR`) are
built from it each time, never edited by hand. `problems` lists what Kaggle's
clients would reject, or accept and get wrong, without asking Kaggle.
"""

import json
from pathlib import Path
import re

from kagglehub.handle import parse_model_handle
from kagglesdk.models.types.model_enums import ModelFramework

OWNER = "{{ cookiecutter.publisher }}"
MODEL_NAME = "{{ cookiecutter.model_name }}"
VERSION = "{{ cookiecutter.model_version }}"
TITLE = {{ cookiecutter.project_name | tojson }}  # noqa: E501 (a project name has no length limit)
LICENSE = "{{ cookiecutter.license }}"
FRAMEWORK = "tensorFlow2"
# One variation per task: a classifier and a feature vector of one network are variations of
# one Kaggle model, as tfhub.dev's models became (".../tensorFlow2/...-feature-vector").
VARIATION = "{{ cookiecutter.task }}"
# Kaggle takes lowercase letters, digits and single inner hyphens; the doc's name may hold more.
MODEL_SLUG = re.sub(r"[^a-z0-9]+", "-", MODEL_NAME.lower()).strip("-")
HANDLE = f"{OWNER}/{MODEL_SLUG}/{FRAMEWORK}/{VARIATION}"

DOC = (
    Path(__file__).resolve().parents[3] / "assets" / "docs" / OWNER / "models" / MODEL_NAME
    / f"{VERSION}.md"
)
MODEL_FILE, INSTANCE_FILE = "model-metadata.json", "model-instance-metadata.json"

# The doc's licence ids (the tfhub.dev validator's) -> Kaggle's display names, as listed in
# kaggle-api docs/models_metadata.md. Only the licences this template offers; the others it
# offers (bsd-2-clause, lgpl-2.x, mpl-2.0, cddl-1.0, epl-2.0, custom) Kaggle Models lacks.
KAGGLE_LICENSES = {
    "apache-2.0": "Apache 2.0",
    "bsd-3-clause": "BSD-3-Clause",
    "gpl-2.0": "GPL 2",
    "gpl-3.0": "GPL 3",
    "lgpl-3.0": "GNU Lesser General Public License 3.0",
    "mit": "MIT",
    "cc-by-nc-4.0": "Attribution-NonCommercial 4.0 International (CC BY-NC 4.0)",
    "cc-by-sa-4.0": "CC BY-SA 4.0",
}
# The fields the kaggle CLI 2.2.5 reads, with their types (it fails on a missing one, or on a
# fineTunable that is not a bool, a trainingData that is not a list, an empty licenseName).
MODEL_FIELDS = {
    "ownerSlug": str, "title": str, "slug": str, "subtitle": str, "isPrivate": bool,
    "description": str, "publishTime": str, "provenanceSources": str,
}
INSTANCE_FIELDS = {
    "ownerSlug": str, "modelSlug": str, "instanceSlug": str, "framework": str, "overview": str,
    "usage": str, "licenseName": str, "fineTunable": bool, "trainingData": list,
    "modelInstanceType": str, "baseModelInstance": str, "externalBaseModelUrl": str,
}
# What Kaggle's usage markdown may hold: ${FILEPATH} only for a single-file model, which a
# SavedModel never is.
KAGGLE_VARIABLES = {"VERSION_NUMBER", "VARIATION_SLUG", "FRAMEWORK", "PATH", "URL"}
PLACEHOLDER = re.compile(r"INSERT_[A-Z_]+_HERE|\$\{(\w*)\}|\{\{|\{[%]")
# The kaggle CLI's slug rules (KaggleApi._validate_slug_syntax): owners may hold underscores.
OWNER_SLUG = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class MetadataError(Exception):
    """The license has no Kaggle equivalent, or the doc cannot be read."""


def kaggle_license(license_id):
    if license_id not in KAGGLE_LICENSES:
        raise MetadataError(
            f"license {license_id!r} is not offered by Kaggle Models; choose one of "
            f"{', '.join(KAGGLE_LICENSES)} (the license answer, and the doc's license line)"
        )
    return KAGGLE_LICENSES[license_id]


def read_doc(path):
    """(description line, {key: [values]}, {section heading: text}) of a model doc."""
    lines = Path(path).read_text().splitlines()
    body = [line for line in lines[1:] if line]
    description = body[0] if body else ""
    metadata = {}
    for key, value in re.findall(r"^<!--\s*([\w-]+):\s*(.*?)\s*-->$", "\n".join(lines), re.M):
        metadata.setdefault(key, []).append(value)
    sections = dict(re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", "\n".join(lines), re.M | re.S))
    return description, metadata, {name: text.strip() for name, text in sections.items()}


def build(doc=DOC, license_id=LICENSE, handle=HANDLE):
    """The two metadata documents, {file name: dict}, for `handle`."""
    description, metadata, sections = read_doc(doc)
    owner, model, framework, variation = (handle.split("/") + ["", "", "", ""])[:4]
    card = "\n\n".join(
        f"## {name}\n\n{text}" for name, text in sections.items() if name != "Example use"
    )
    return {
        MODEL_FILE: {
            "ownerSlug": owner, "title": TITLE, "slug": model, "subtitle": description,
            # kagglehub creates a model private; make it public on its Kaggle page.
            "isPrivate": True, "description": card, "publishTime": "", "provenanceSources": "",
        },
        INSTANCE_FILE: {
            "ownerSlug": owner, "modelSlug": model, "instanceSlug": variation,
            "framework": framework, "overview": description,
            "usage": usage(sections.get("Example use", ""), handle),
            "licenseName": kaggle_license(license_id),
            "fineTunable": metadata.get("fine-tunable") == ["true"],
            "trainingData": metadata.get("dataset", []),
            "modelInstanceType": "Unspecified", "baseModelInstance": "",
            "externalBaseModelUrl": "",
        },
    }


def usage(example_use, handle):
    """The doc's examples, loading the files from Kaggle instead of a local path."""
    # Kaggle fills in ${...} when it shows the page.
    versioned = handle.rsplit("/", 1)[0] + "/${VARIATION_SLUG}/${VERSION_NUMBER}"
    download = (
        f'```python\nimport kagglehub\n\npath = kagglehub.model_download("{versioned}")\n'
        "```\n\nIn a Kaggle notebook the files are also at `${PATH}`."
    )
    # The doc promises its tests run the snippets; on Kaggle that is not the reader's concern.
    examples = example_use.replace("The snippets below are run by this model's tests. ", "")
    examples = examples.replace('"path/to/saved_model"', "path").replace(
        "path/to/saved_model", "${PATH}"
    )
    return f"{download}\n\n{examples}"


def write(documents, directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (directory / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def problems(directory):
    """What Kaggle's clients would refuse in the metadata files in `directory`, one line each."""
    found = []
    documents = {}
    for name, fields in ((MODEL_FILE, MODEL_FIELDS), (INSTANCE_FILE, INSTANCE_FIELDS)):
        documents[name] = document = json.loads((Path(directory) / name).read_text())
        for field, kind in fields.items():
            if not isinstance(document.get(field), kind):
                found.append(f"{name}: {field} must be a {kind.__name__}")
        for field, value in document.items():
            for match in PLACEHOLDER.finditer(json.dumps(value)):
                if match[1] not in KAGGLE_VARIABLES:
                    found.append(f"{name}: {field} holds the placeholder {match[0]!r}")
    if found:
        return found
    model, instance = documents[MODEL_FILE], documents[INSTANCE_FILE]
    if instance["licenseName"] not in KAGGLE_LICENSES.values():
        found.append(f"{INSTANCE_FILE}: licenseName {instance['licenseName']!r} is not Kaggle's")
    for field, value, rule in [
        ("ownerSlug", model["ownerSlug"], OWNER_SLUG), ("slug", model["slug"], SLUG),
        ("instanceSlug", instance["instanceSlug"], SLUG),
    ]:
        if not rule.fullmatch(value):
            found.append(f"{field} {value!r} is not a Kaggle slug ({rule.pattern})")
    if (model["ownerSlug"], model["slug"]) != (instance["ownerSlug"], instance["modelSlug"]):
        found.append("the two metadata files name different models")
    if instance["framework"] == FRAMEWORK and not instance["fineTunable"]:  # Not a .tflite.
        found.append(f"{INSTANCE_FILE}: fineTunable is false; the doc says fine-tunable: true")
    return found


def handle_problem(handle):
    """Why kagglehub.model_upload would refuse or misfile `handle`, or None."""
    try:
        parsed = parse_model_handle(handle)
    except ValueError as error:
        return f"handle {handle!r}: {error}; expected owner/model/{FRAMEWORK}/variation"
    if parsed.is_versioned():
        return (
            f"handle {handle!r} names version {parsed.version}: Kaggle numbers versions itself; "
            f"upload to {str(parsed.with_version(0))!r}"
        )
    try:
        framework = parsed.framework_enum()
    except ValueError as error:
        return f"handle {handle!r}: {error}"
    if framework != ModelFramework.MODEL_FRAMEWORK_TENSOR_FLOW_2:
        return f"handle {handle!r}: a reusable SavedModel is framework {FRAMEWORK}"
    return None
