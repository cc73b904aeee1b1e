"""Writes cookiecutter.json from copier.yml, the one source of the template's questions.

    .venv/bin/python scripts/cookiecutter_json.py          # rewrite cookiecutter.json
    .venv/bin/python scripts/cookiecutter_json.py --check  # exit 1 if it is out of date

What carries over, and how:
- each question, in copier.yml's order, with its default; expressions name answers
  as `cookiecutter.<name>` (copier.yml names them bare);
- choices become cookiecutter choice lists, their labels `__prompts__` entries
  (rendered: a label may name what the table of supported combinations says);
- copier's `task` filters its choices by model type, which a cookiecutter choice list
  cannot: cookiecutter asks it as text, its default the first task the model type
  exports, its prompt listing every task's label;
- derived facts (questions never asked) become `__<name>` variables, the table of
  supported combinations the private `_supported` (cookiecutter leaves it unrendered);
- prompts and labels are escaped for rich, which cookiecutter renders them with
  (`[batch]` would otherwise read as markup and vanish).

It also copies the rules into hooks/pre_gen_project.py, which evaluates them for
cookiecutter and cruft: each question's validator, the choices that depend on earlier
answers, and the never-asked data and facts they read.
"""

import json
from pathlib import Path
import re
import sys

import jinja2
from rich.markup import escape
import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIER_YML = ROOT / "copier.yml"
COOKIECUTTER_JSON = ROOT / "cookiecutter.json"
HOOK = ROOT / "hooks" / "pre_gen_project.py"
HOOK_RULES = re.compile(
    r'(QUESTIONS = yaml\.safe_load\(\n    r"""{% raw %}\n).*?(\n{% endraw %}""")', re.DOTALL
)

# Never-asked copier questions cookiecutter does not need as variables: data the
# validators and copier's task choices read, and copier's own `cookiecutter` namespace.
COPIER_ONLY = {"tasks", "python_keywords", "reserved_names", "ascii_letters", "cookiecutter"}
PRIVATE = {"supported"}  # Data cookiecutter keeps unrendered: `_supported`.
# cookiecutter has a slugify filter (python-slugify, which also transliterates);
# copier.yml spells the same for ASCII and Latin-1 names with replace and regex_replace.
COOKIECUTTER_DEFAULTS = {"project_slug": "{{ cookiecutter.project_name | slugify }}"}
# Where copier writes its answers; cookiecutter writes none (an empty file name is skipped).
COOKIECUTTER_EXTRA = {"__answers_file": ""}

JINJA = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)
STRING = re.compile(r"""('[^']*'|"[^"]*")""")


def is_hidden(question):
    return question.get("when") is False


def cookiecutter_name(name, question):
    if name in PRIVATE:
        return f"_{name}"
    return f"__{name}" if is_hidden(question) else name


def translate(text, names):
    """`text` with every answer an expression names read from the cookiecutter namespace."""
    word = re.compile(r"(?<![.\w])(" + "|".join(map(re.escape, names)) + r")(?![\w])")

    def in_code(match):
        parts = STRING.split(match.group(0))
        return "".join(
            part if i % 2 else word.sub(lambda m: f"cookiecutter.{names[m.group(1)]}", part)
            for i, part in enumerate(parts)
        )

    return JINJA.sub(in_code, text)


def build(config):
    questions = {name: q for name, q in config.items() if not name.startswith("_")}
    names = {
        name: cookiecutter_name(name, q) for name, q in questions.items() if name not in COPIER_ONLY
    }
    context, prompts = {}, {}
    labels = yaml.safe_load(questions["tasks"]["default"])
    data = {name: yaml.safe_load(questions[name]["default"]) for name in PRIVATE}

    def label(text):
        return escape(jinja2.Environment().from_string(text).render(data))

    for name, question in questions.items():
        if name in COPIER_ONLY:
            continue
        key = names[name]
        default = question.get("default")
        if name in PRIVATE:
            context[key] = yaml.safe_load(default)
            continue
        if is_hidden(question):
            context[key] = translate(str(default), names)
            continue
        choices = question.get("choices")
        if isinstance(choices, dict):
            values = list(choices.values())
            assert values[0] == default, f"{name}: cookiecutter's default is the first choice"
            context[key] = values
            prompts[key] = {"__prompt__": escape(question["help"])}
            prompts[key].update({value: label(text) for text, value in choices.items()})
        elif isinstance(choices, list):
            assert choices[0] == default, f"{name}: cookiecutter's default is the first choice"
            context[key] = choices
            prompts[key] = escape(question["help"])
        elif isinstance(choices, str):  # Choices filtered by earlier answers: asked as text.
            context[key] = translate(default, names)
            listing = "".join(f"\n    {label}" for label in labels.values())
            prompts[key] = escape(f"{question['help']}; type one of:{listing}\n   ")
        else:
            context[key] = COOKIECUTTER_DEFAULTS.get(name) or translate(str(default), names)
            prompts[key] = escape(question["help"])
    context.update(COOKIECUTTER_EXTRA)
    context["__prompts__"] = prompts
    return context


def rules(config):
    """What the pre-gen hook needs of each question, in order (copier's namespace aside)."""
    kept = {}
    for name, question in config.items():
        if name.startswith("_") or name == "cookiecutter":
            continue
        if is_hidden(question):
            kept[name] = {key: question[key] for key in ("when", "type", "default")}
        else:
            kept[name] = {
                key: question[key] for key in ("choices", "validator") if key in question
                if key != "choices" or isinstance(question[key], str)
            }
    return kept


class _RulesDumper(yaml.SafeDumper):
    """Writes the hook's rules as a reader would: a text of several lines as a `|` block,
    a long line folded at spaces (both load back to the same string)."""


def _represent_text(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_RulesDumper.add_representer(str, _represent_text)


def hook_rules(config):
    """The rules as the YAML the hook loads; loading it gives back exactly `rules(config)`."""
    kept = rules(config)
    text = yaml.dump(kept, Dumper=_RulesDumper, sort_keys=False, allow_unicode=True, width=90)
    assert yaml.safe_load(text) == kept and '"""' not in text, "the rules do not round-trip"
    return text.rstrip("\n")


def render():
    """The texts of cookiecutter.json and of the hook, as copier.yml makes them."""
    config = yaml.safe_load(COPIER_YML.read_text())
    context = json.dumps(build(config), indent=2, ensure_ascii=False) + "\n"
    data = hook_rules(config)
    hook, count = HOOK_RULES.subn(lambda m: m.group(1) + data + m.group(2), HOOK.read_text())
    assert count == 1, "the rules' place in hooks/pre_gen_project.py is gone"
    return context, hook


def main():
    context, hook = render()
    if sys.argv[1:] == ["--check"]:
        if COOKIECUTTER_JSON.read_text() != context or HOOK.read_text() != hook:
            sys.exit("cookiecutter.json or the hook is out of date: run "
                     "scripts/cookiecutter_json.py")
        return
    COOKIECUTTER_JSON.write_text(context)
    HOOK.write_text(hook)


if __name__ == "__main__":
    main()
