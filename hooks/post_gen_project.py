"""Keep the files of the chosen model type and drop the rest.

The template keeps each model type's example network in `_variants/`; the
generated project gets exactly one `model.py` in its package and no
`_variants/` directory.
"""

import json
from pathlib import Path
import shutil

ANSWERS = json.loads(
    r"""
{{ cookiecutter | tojson }}
""".strip()
)


def main():
    project = Path.cwd()
    variants = project / "_variants"
    package = project / "src" / ANSWERS["package_name"]
    flavour = "checkpoint" if ANSWERS["model_type"] == "checkpoint" else "keras"
    shutil.move(variants / f"model_{flavour}.py", package / "model.py")
    shutil.rmtree(variants)


if __name__ == "__main__":
    main()
