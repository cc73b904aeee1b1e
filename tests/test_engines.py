"""One template, two engines: copier and cookiecutter ask alike and make the same project."""

import importlib.util
import io
from pathlib import Path
import re

from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config
import copier
from copier import _main as copier_main
import pytest
from rich.console import Console
import rich.prompt
from rich.prompt import PromptBase
import yaml

from conftest import (
    ALL_TASKS,
    CONTEXT,
    COPIER,
    FLAVOURS,
    SUPPORTED,
    TASKS,
    TEMPLATE,
    choice_labels,
    variant_id,
)

COPIER_ANSWERS = ".copier-answers.yml"
LABELS = yaml.safe_load(COPIER["tasks"]["default"])


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cookiecutter_json_and_the_hooks_rules_are_written_from_copier_yml():
    context, hook = load_script("cookiecutter_json").render()
    assert (TEMPLATE / "cookiecutter.json").read_text() == context, (
        "cookiecutter.json is out of date: run scripts/cookiecutter_json.py"
    )
    assert (TEMPLATE / "hooks" / "pre_gen_project.py").read_text() == hook, (
        "the pre-gen hook's rules are out of date: run scripts/cookiecutter_json.py"
    )


# The one text the engines make differently: the README says which one made the project.
PROVENANCE = re.compile(rb" Created with .*?(?=\n## |\Z)", re.DOTALL)


def provenance(root):
    return PROVENANCE.search((root / "README.md").read_bytes()).group(0).decode()


def tree(root, leave_out=()):
    """Every file's bytes and mode, the README's provenance sentence left out."""
    files = {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(root.rglob("*"))
        if path.is_file() and str(path.relative_to(root)) not in leave_out
    }
    text, mode = files["README.md"]
    files["README.md"] = (PROVENANCE.sub(b"", text, count=1), mode)
    return files


def copier_copy(template_copy, destination, **data):
    copier.run_copy(str(template_copy), destination, data=data, defaults=True, quiet=True)
    return destination


def only_answered(variant):
    """The variant's answers as a user gives them: copier does not ask checkpoint the flavour."""
    answers = dict(variant)
    if len(FLAVOURS[variant["model_type"]]) == 1:
        del answers["keras_flavour"]
    return answers


@pytest.mark.parametrize("variant", SUPPORTED, ids=variant_id)
def test_copier_and_cookiecutter_make_the_same_project(template_copy, tmp_path, variant):
    """Every file, byte for byte and mode for mode, apart from copier's answers file.

    Names are left to their defaults, which depend on the task (Image Model, Text Model).
    """
    baked = cookiecutter(str(TEMPLATE), no_input=True, extra_context=variant,
                         output_dir=str(tmp_path / "cookiecutter"))
    rendered = copier_copy(template_copy, tmp_path / "copier", **only_answered(variant))
    assert tree(rendered, leave_out={COPIER_ANSWERS}) == tree(Path(baked))
    assert provenance(rendered).startswith(
        f" Created with `copier copy`, it records the template\ncommit and your answers in "
        f"`{COPIER_ANSWERS}`"
    )
    assert provenance(Path(baked)).startswith(" Created with cookiecutter; made with `cruft")
    # copier records what it asked: checkpoint's keras_flavour is not asked, nor kept.
    answers = yaml.safe_load((rendered / COPIER_ANSWERS).read_text())
    given = only_answered(variant)
    assert {key: answers.get(key) for key in variant} == {key: given.get(key) for key in variant}


class Interview:
    """Drives copier's interactive questions: records what each shows, answers from a script."""

    def __init__(self, script):
        self.script = script
        self.asked = {}

    def __call__(self, questions, answers):
        (question,) = questions
        name = question["name"]
        if not question["when"](answers):  # questionary skips it: copier keeps the default.
            return answers
        choices = question.get("choices")
        self.asked[name] = {
            "message": question["message"].rstrip(),
            "choices": [(c.title, c.value, c.disabled) for c in choices] if choices else None,
            "default": getattr(question.get("default"), "value", question.get("default")),
        }
        answer = self.script.get(name, self.asked[name]["default"])
        if choices:
            offered = [value for _, value, disabled in self.asked[name]["choices"] if not disabled]
            assert answer in offered, f"{name}: {answer!r} is not offered ({offered})"
        else:
            assert question["validate"](answer) is True, question["validate"](answer)
            answer = question["filter"](answer)
        return {name: answer}


def interview(monkeypatch, template_copy, destination, script):
    asker = Interview(script)
    monkeypatch.setattr(copier_main, "unsafe_prompt", asker)
    copier.run_copy(str(template_copy), destination, quiet=True, pretend=True)
    return asker.asked


COPIER_QUESTIONS = {
    "keras_full": ["model_type", "keras_flavour", "task", "image_size"],
    "keras_piece": ["model_type", "keras_flavour", "task", "image_size"],
    "checkpoint": ["model_type", "task", "image_size"],
}
NAMES = ["project_name", "project_slug", "package_name", "publisher", "model_name",
         "model_version", "license", "author"]


@pytest.mark.parametrize("variant", SUPPORTED, ids=variant_id)
def test_copier_asks_only_what_applies_and_offers_only_what_fits(
    monkeypatch, template_copy, tmp_path, variant
):
    """Every path through copier's questions: each offered choice, then Enter everywhere."""
    model_type, task = variant["model_type"], variant["task"]
    asked = interview(monkeypatch, template_copy, tmp_path / "project", only_answered(variant))
    image = task.startswith("image-")
    expected = [q for q in COPIER_QUESTIONS[model_type] if image or q != "image_size"]
    assert list(asked) == expected + NAMES
    tasks = asked["task"]
    # Every task is listed, exactly as labelled; those the model type does not export
    # cannot be chosen, and say why in the line the validators (and cookiecutter) use.
    assert [title for title, _, _ in tasks["choices"]] == list(LABELS.values())
    for _, value, disabled in tasks["choices"]:
        assert bool(disabled) == (value not in TASKS[model_type])
        if disabled:
            assert disabled == (
                f"task {value!r} does not fit model_type {model_type!r}; it exports "
                + " or ".join(sorted(TASKS[model_type]))
            )
    assert tasks["default"] == TASKS[model_type][0]
    assert asked["project_name"]["default"] == ("Image Model" if image else "Text Model")
    labels = {q: COPIER[q]["help"] for q in asked}
    assert {q: shown["message"] for q, shown in asked.items()} == labels
    for question in ("model_type", "keras_flavour"):
        if question in asked:
            assert [(t, v) for t, v, _ in asked[question]["choices"]] == choice_labels(question)


def test_cookiecutter_shows_every_prompt_and_label_as_written(monkeypatch):
    """cookiecutter prints prompts through rich; what the user reads is the written text."""
    output = io.StringIO()
    console = Console(file=output, width=1000, color_system=None, force_terminal=False)
    monkeypatch.setattr(rich.prompt, "get_console", lambda: console)

    def enter(cls, console, prompt, password, stream=None):
        console.print(prompt, end="")
        return ""

    monkeypatch.setattr(PromptBase, "get_input", classmethod(enter))
    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"))
    answers = prompt_for_config(context, no_input=False)
    assert answers["task"] == "image-classification"
    shown = output.getvalue()
    questions = [name for name, q in COPIER.items() if not name.startswith("_") and "help" in q]
    written = [COPIER[name]["help"] for name in questions] + list(LABELS.values())
    for name in questions:
        if isinstance(COPIER[name].get("choices"), dict):
            written += [label for label, _ in choice_labels(name)]
    missing = [text for text in written if text not in shown]
    assert not missing, f"{missing} not shown; cookiecutter showed:\n{shown}"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"model_type": "keras_piece"},
         {"task": "image-feature-vector", "project_slug": "image-model"}),
        ({"model_type": "keras_piece", "task": "text-embedding"},
         {"task": "text-embedding", "project_slug": "text-model", "package_name": "text_model"}),
        ({"model_type": "checkpoint", "task": "text-embedding"},
         {"task": "text-embedding", "project_name": "Text Model", "keras_flavour": "keras3"}),
    ],
)
def test_defaults_fit_earlier_answers_in_both_engines(template_copy, tmp_path, extra, expected):
    baked = cookiecutter(str(TEMPLATE), no_input=True, extra_context=extra,
                         output_dir=str(tmp_path / "cookiecutter"))
    rendered = copier_copy(template_copy, tmp_path / "copier", **extra)
    answers = yaml.safe_load((rendered / COPIER_ANSWERS).read_text())
    hidden = {"keras_flavour"} if extra["model_type"] == "checkpoint" else set()
    assert {k: answers[k] for k in expected if k not in hidden} == {
        k: v for k, v in expected.items() if k not in hidden
    }
    if "project_slug" in expected:
        assert Path(baked).name == expected["project_slug"]
    assert tree(rendered, leave_out={COPIER_ANSWERS}) == tree(Path(baked))


def test_every_task_has_a_label_and_the_table_names_only_known_tasks():
    assert set(LABELS) == set(ALL_TASKS)
    assert all(set(tasks) <= set(ALL_TASKS) and tasks for tasks in TASKS.values())
    assert list(TASKS) == list(COPIER["model_type"]["choices"].values())
    assert CONTEXT["_supported"] == TASKS


def test_the_readmes_table_says_what_copier_yml_supports():
    """The README's model-type table is the one copy of the table outside copier.yml."""
    readme = (TEMPLATE / "README.md").read_text()
    for model_type, tasks in TASKS.items():
        (row,) = re.findall(rf"^\| `{model_type}` \|.*\| (.*) \|$", readme, flags=re.MULTILINE)
        said = ALL_TASKS if row == "any of the four" else re.findall(r"`([a-z-]+)`", row)
        assert said == tasks, (model_type, row)
