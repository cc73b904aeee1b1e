"""Reject answers that would bake a broken project, before anything is written.

Each failure prints one line (what is wrong, what is allowed) and exits 1;
cookiecutter then removes the output directory.
"""

import json
import keyword
import re
import sys

# The answers arrive as data, never as code: a name with quotes cannot break out.
ANSWERS = json.loads(
    r"""
{{ cookiecutter | tojson }}
""".strip()
)

# Packages the generated code imports: a project named like one would shadow it.
SHADOWED = {"tensorflow", "tensorflow_hub", "keras", "tf_keras", "absl", "numpy", "pytest"}

# Which task each model type exports; the model-doc task must say what comes out.
TASKS = {
    "keras_full": {"image-classification", "text-classification"},
    "keras_piece": {"image-feature-vector", "text-embedding"},
    "checkpoint": {
        "image-classification", "image-feature-vector", "text-classification", "text-embedding",
    },
}

MIN_IMAGE_SIZE, MAX_IMAGE_SIZE = 16, 1024
# cookiecutter.json's default (the context holds only the answers): text tasks
# take strings, and another answer would be silently ignored.
DEFAULT_IMAGE_SIZE = "64"


def problems(answers):
    """Yield one message per invalid answer, in prompt order."""
    package = answers["package_name"]
    if not package.isidentifier() or not package.isascii():
        yield f"package_name {package!r} is not a Python identifier; use a-z, 0-9 and _"
    elif keyword.iskeyword(package):
        yield f"package_name {package!r} is a Python keyword; choose another name"
    elif package in SHADOWED or package in sys.stdlib_module_names:
        yield f"package_name {package!r} would shadow the module of that name; choose another name"

    slug = answers["project_slug"]
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", slug):
        yield f"project_slug {slug!r} must be lowercase ASCII letters, digits and inner hyphens"

    model_type, task, flavour = answers["model_type"], answers["task"], answers["keras_flavour"]
    if task not in TASKS[model_type]:
        allowed = " or ".join(sorted(TASKS[model_type]))
        yield f"task {task!r} does not fit model_type {model_type!r}; it exports {allowed}"
    if model_type == "checkpoint" and flavour != "keras3":
        yield "keras_flavour applies to the Keras model types; model_type 'checkpoint' needs keras3"

    size = answers["image_size"]
    in_range = re.fullmatch(r"[0-9]+", size) and MIN_IMAGE_SIZE <= int(size) <= MAX_IMAGE_SIZE
    if task.startswith("text-") and size != DEFAULT_IMAGE_SIZE:
        yield (
            f"image_size applies to image tasks; task {task!r} takes strings, "
            f"leave it at {DEFAULT_IMAGE_SIZE}"
        )
    elif not in_range:
        yield f"image_size {size!r} must be an integer from {MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE}"

    # The model-doc handle <publisher>/<model_name>/<version>, as tfhub.dev's validator reads it.
    if not re.fullmatch(r"[a-z\d-]+", answers["publisher"]):
        yield f"publisher {answers['publisher']!r} must match [a-z0-9-]+"
    if not re.fullmatch(r"[\w.-]+", answers["model_name"], flags=re.ASCII):
        yield f"model_name {answers['model_name']!r} must match [A-Za-z0-9_.-]+"
    if not re.fullmatch(r"[1-9][0-9]*", answers["model_version"]):
        yield f"model_version {answers['model_version']!r} must be a positive integer"


def main():
    message = next(problems(ANSWERS), None)
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
