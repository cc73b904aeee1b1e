"""Answers that would bake a broken project stop generation with one clear line."""

import ast
import re
import string
import tomllib

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
import copier
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment
import pytest
import yaml

from conftest import COPIER, TEMPLATE, UNSUPPORTED, ruff_check, variant_id


def bake_error(cookies, capfd, **context):
    """Bakes with `context`, expects the pre-gen hook to refuse, returns its message."""
    result = cookies.bake(extra_context=context)
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "FailedHookException"
    assert result.project_path is None or not result.project_path.exists()
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, errors
    return errors[0]


def copier_error(template_copy, destination, **data):
    """Renders with copier and `data`, expects a refusal, returns its message.

    copier prefixes the validator's line with the question (or the invalid choice).
    """
    with pytest.raises(ValueError) as refused:
        copier.run_copy(str(template_copy), destination, data=data, defaults=True, quiet=True)
    assert not destination.exists() or not any(destination.iterdir())
    prefix, message = str(refused.value).split(": ", 1)
    assert prefix.startswith(("Validation error for question", "Invalid choice for")), prefix
    assert "\n" not in message
    return message


@pytest.mark.parametrize("variant", UNSUPPORTED, ids=variant_id)
def test_unsupported_combination_is_refused(cookies, capfd, template_copy, tmp_path, variant):
    message = bake_error(cookies, capfd, **variant)
    assert "model_type" in message or "keras_flavour" in message
    assert f"ERROR: {copier_error(template_copy, tmp_path / 'copier', **variant)}" == message


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "tensorflow"}, "would shadow"),
        ({"package_name": "json"}, "would shadow"),
        ({"package_name": "my-model"}, "not a Python identifier"),
        ({"package_name": "a" * 41}, "has 41 characters; use at most 40"),
        ({"project_name": "3D Model"}, "not a Python identifier"),
        ({"project_slug": "My_Model", "package_name": "my_model"}, "project_slug"),
        ({"publisher": "My Org"}, "publisher"),
        ({"model_name": "a/b"}, "model_name"),
        ({"model_version": "0"}, "positive integer"),
        ({"model_version": "v1"}, "positive integer"),
        ({"image_size": "0"}, "image_size"),
        ({"image_size": "100000"}, "image_size"),
        ({"image_size": "64.5"}, "image_size"),
        (
            {"model_type": "checkpoint", "task": "text-embedding", "image_size": "32"},
            "image_size applies to image tasks; task 'text-embedding' takes strings",
        ),
    ],
)
def test_bad_answer_is_refused_with_one_line(cookies, capfd, template_copy, tmp_path, context,
                                            expected):
    message = bake_error(cookies, capfd, **context)
    assert expected in message
    assert f"ERROR: {copier_error(template_copy, tmp_path / 'copier', **context)}" == message


def test_answers_are_data_not_code(cookies):
    """Quotes, backslashes and escapes in free-text answers bake a project that parses."""
    author = 'Ann """ O\'Brien \\'
    project_name = 'The """Best""" \\N{model}'
    result = cookies.bake(extra_context={"author": author, "project_name": project_name})
    assert result.exit_code == 0, result.exception
    pyproject = tomllib.loads((result.project_path / "pyproject.toml").read_text())
    assert pyproject["project"]["authors"] == [{"name": author}]
    ruff_check(result.project_path)  # E999 for a file Python cannot parse.
    (package,) = (result.project_path / "src").iterdir()
    kaggle_metadata = package / "exporter" / "kaggle_metadata.py"
    assert ast.literal_eval(re.search(r"^TITLE = (.*?)  #", kaggle_metadata.read_text(),
                                      flags=re.MULTILINE).group(1)) == project_name


def derived_names(project_name):
    """(project_slug, package_name) as cookiecutter derives them from `project_name`."""
    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"),
        extra_context={"project_name": project_name},
    )
    answers = prompt_for_config(context, no_input=True)
    return answers["project_slug"], answers["package_name"]


# cookiecutter renders answers given on the command line (not typed ones) as Jinja
# templates, before any hook runs: "{%" alone stops it with a TemplateSyntaxError
# of its own. Names are text, not templates, so the strategy leaves the delimiters out.
JINJA_DELIMITERS = ("{{", "{%", "{#")
PROJECT_NAMES = st.text(min_size=1, max_size=60).filter(
    lambda name: not any(delimiter in name for delimiter in JINJA_DELIMITERS)
)


@settings(max_examples=200, deadline=None)
@given(PROJECT_NAMES)
def test_derived_names_are_always_ascii_and_well_formed(project_name):
    slug, package = derived_names(project_name)
    assert re.fullmatch(r"[a-z0-9-]*", slug), slug
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert package == slug.replace("-", "_")
    if slug and not slug[0].isdigit():
        assert package.isidentifier() and package.isascii()


def copier_slug(project_name):
    """project_slug as copier derives it from `project_name` (copier.yml's default)."""
    env = SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])
    letters = yaml.safe_load(COPIER["ascii_letters"]["default"])
    template = env.from_string(COPIER["project_slug"]["default"])
    return template.render(project_name=project_name, ascii_letters=letters)


# Names as people write them: ASCII letters, digits, spaces and punctuation, and the
# Latin-1 letters copier spells as slugify does.
LATIN_NAMES = st.text(
    alphabet=st.sampled_from(
        string.ascii_letters + string.digits + " -_.'()"
        + "".join(yaml.safe_load(COPIER["ascii_letters"]["default"])) + "ÄÖÜÉÈÇÑ"
    ),
    min_size=1, max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(LATIN_NAMES)
def test_copier_derives_the_slug_cookiecutter_does(project_name):
    assert copier_slug(project_name) == derived_names(project_name)[0]


@pytest.mark.parametrize(
    ("project_name", "slug"),
    [
        ("Modèle d'image", "modele-d-image"),
        ("Ünïcödé Features", "unicode-features"),
        ("Bild Größe", "bild-grosse"),
    ],
)
def test_non_ascii_names_bake_with_an_ascii_slug(cookies, template_copy, tmp_path, project_name,
                                                 slug):
    result = cookies.bake(extra_context={"project_name": project_name})
    assert result.exit_code == 0, result.exception
    assert result.project_path.name == slug
    assert (result.project_path / "src" / slug.replace("-", "_") / "export.py").is_file()
    # copier spells Latin-1 letters as slugify does: the same names.
    copier.run_copy(str(template_copy), tmp_path / "copier", data={"project_name": project_name},
                    defaults=True, quiet=True)
    assert (tmp_path / "copier" / "src" / slug.replace("-", "_") / "export.py").is_file()
