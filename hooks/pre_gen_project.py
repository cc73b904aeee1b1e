"""Reject answers that would bake a broken project, before anything is written.

The rules are copier.yml's validators, evaluated here for cookiecutter (and cruft)
exactly as copier evaluates them, in question order: each failure prints one line
(what is wrong, what is allowed) and exits 1; cookiecutter then removes the output
directory.
"""

import json
from pathlib import Path
import sys

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
import yaml

# The answers arrive as data, never as code: a name with quotes cannot break out.
ANSWERS = json.loads(
    r"""
{{ cookiecutter | tojson }}
""".strip()
)

# copier's own namespace for the template's files: nothing to check in it.
SKIPPED = {"cookiecutter"}


def problems(answers, config):
    """Yield the message of each answer copier.yml's validators refuse, in question order."""
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)

    def render(text, context):
        return env.from_string(str(text)).render(context).strip()

    context = {}
    for name, question in config.items():
        if name.startswith("_") or name in SKIPPED:
            continue
        if question.get("when") is False:  # Data and derived facts, never asked.
            value = render(question["default"], context)
            context[name] = yaml.safe_load(value) if question.get("type") == "yaml" else value
            continue
        value = context[name] = answers[name]
        choices = question.get("choices")
        if isinstance(choices, str):  # Choices that depend on earlier answers.
            offered = yaml.safe_load(render(choices, context))
            allowed = {choice["value"]: choice.get("validator", "") for choice in offered.values()}
            if value not in allowed:
                yield f"{name} {value!r} is not one of {', '.join(allowed)}"
            elif message := render(allowed[value], context):
                yield message
        if message := render(question.get("validator", ""), context):
            yield message


def main():
    config = yaml.safe_load(Path(ANSWERS["_repo_dir"], "copier.yml").read_text())
    message = next(problems(ANSWERS, config), None)
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
