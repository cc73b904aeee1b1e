"""Keep the files of the chosen model type and task, and drop the rest.

The template keeps each example network, its synthetic data and its model doc
in `_variants/`, one file per (model type, input kind); the generated project
gets exactly one `model.py`, `data.py` and model doc, and no `_variants/`.
Only text models keep the tokenizer, the vocabulary and their tests.
"""

import json
from pathlib import Path
import shutil

ANSWERS = json.loads(
    r"""
{{ cookiecutter | tojson }}
""".strip()
)

TEXT_ONLY = (
    "src/{package}/tokenizer.py", "src/{package}/vocabulary.txt", "tests/test_vocabulary.py",
)


def main():
    project = Path.cwd()
    variants = project / "_variants"
    package = project / "src" / ANSWERS["package_name"]
    flavour = "checkpoint" if ANSWERS["model_type"] == "checkpoint" else "keras"
    inputs = ANSWERS["task"].split("-")[0]  # "image" or "text".
    docs = project / "assets" / "docs" / ANSWERS["publisher"] / "models" / ANSWERS["model_name"]
    docs.mkdir(parents=True)
    shutil.move(variants / f"model_{flavour}_{inputs}.py", package / "model.py")
    shutil.move(variants / f"data_{inputs}.py", package / "data.py")
    shutil.move(variants / f"doc_{inputs}.md", docs / f"{ANSWERS['model_version']}.md")
    shutil.rmtree(variants)
    if inputs != "text":
        for path in TEXT_ONLY:
            (project / path.format(package=ANSWERS["package_name"])).unlink()


if __name__ == "__main__":
    main()
