"""Teams keep many exporters alike: shared defaults, replayed answers, and cruft updates."""

import json
from pathlib import Path
import subprocess
import sys

import copier
import pytest
import yaml

from conftest import CONTEXT, GIT, TEMPLATE, git_copy_of_template

BIN = Path(sys.executable).parent
DOC = "assets/docs/acme/models/{name}/1.md"
CURRENT = CONTEXT["__template_version"]
major, minor, _ = CURRENT.split(".")
NEXT = f"{major}.{int(minor) + 1}.0"  # The version the template "moves on" to below.


def run(*command, cwd=None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def team_config(tmp_path):
    """A cookiecutter user config holding a team's defaults and where replays go."""
    config = tmp_path / "team.yaml"
    config.write_text(
        "default_context:\n"
        "  publisher: acme\n"
        "  license: mit\n"
        "  author: ACME Vision Team\n"
        f"replay_dir: {tmp_path / 'replay'}\n"
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}\n"
    )
    return config


def test_config_file_sets_team_defaults(team_config, tmp_path):
    run(str(BIN / "cookiecutter"), "--no-input", "--config-file", str(team_config),
        "-o", str(tmp_path / "out"), str(TEMPLATE), "project_name=Leaf Classifier")
    project = tmp_path / "out" / "leaf-classifier"
    doc = (project / DOC.format(name="leaf-classifier")).read_text()
    assert "<!-- license: mit -->" in doc
    assert "# Module acme/leaf-classifier/1" in doc
    assert "ACME Vision Team" in (project / "pyproject.toml").read_text()


def test_replay_bakes_the_same_project_again(team_config, tmp_path):
    cookiecutter = str(BIN / "cookiecutter")
    run(cookiecutter, "--no-input", "--config-file", str(team_config), "-o", str(tmp_path / "a"),
        str(TEMPLATE), "project_name=Leaf Features", "model_type=keras_piece",
        "task=image-feature-vector", "keras_flavour=tf_keras")
    run(cookiecutter, "--replay", "--config-file", str(team_config), "-o", str(tmp_path / "b"),
        str(TEMPLATE))

    def tree(root):
        return {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }

    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert "import tf_keras as keras" in (
        tmp_path / "b" / "leaf-features" / "src" / "leaf_features" / "model.py"
    ).read_text()


@pytest.fixture
def template_repo(tmp_path):
    """This template, committed to a git repository of its own, tagged with its version."""
    return git_copy_of_template(tmp_path / "template", tag=CURRENT)


def test_cruft_create_check_update(template_repo, tmp_path):
    cruft = str(BIN / "cruft")
    run(cruft, "create", "--no-input", "--output-dir", str(tmp_path / "projects"),
        "--extra-context", json.dumps({"project_name": "Leaf Classifier", "publisher": "acme"}),
        str(template_repo))
    project = tmp_path / "projects" / "leaf-classifier"
    recorded = json.loads((project / ".cruft.json").read_text())
    assert recorded["template"] == str(template_repo)
    assert recorded["context"]["cookiecutter"]["publisher"] == "acme"
    run(cruft, "check", cwd=project)
    # The project is a repository of its own, as it would be in real life.
    run(*GIT, "init", "-q", "-b", "main", cwd=project)
    run(*GIT, "add", "-A", cwd=project)
    run(*GIT, "commit", "-q", "-m", "generated", cwd=project)

    # The template moves on: a new version with a changed model doc.
    cookiecutter_json = template_repo / "cookiecutter.json"
    cookiecutter_json.write_text(
        cookiecutter_json.read_text().replace(f'"__template_version": "{CURRENT}"',
                                              f'"__template_version": "{NEXT}"')
    )
    run(*GIT, "commit", "-q", "-am", f"template {NEXT}", cwd=template_repo)
    stale = subprocess.run([cruft, "check"], cwd=project, capture_output=True, text=True)
    assert stale.returncode != 0, stale.stdout

    run(cruft, "update", "--skip-apply-ask", cwd=project)
    run(cruft, "check", cwd=project)
    init = (project / "src" / "leaf_classifier" / "__init__.py").read_text()
    assert f'TEMPLATE_VERSION = "{NEXT}"' in init
    doc = (project / DOC.format(name="leaf-classifier")).read_text()
    assert f"template {NEXT}" in doc


KERAS_IMAGE_MODEL = (
    "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}/"
    "{% if cookiecutter.__builder != 'module' and cookiecutter.__inputs == 'image' %}model.py"
    "{% endif %}"
)


def test_copier_update_merges_the_template_into_an_edited_project(template_repo, tmp_path):
    """copier copy from a tagged version, a committed user edit, copier update to the next tag.

    The user's edit survives, the template's change arrives, nothing conflicts and the
    merged model still lints and builds. (Each variant's own suite runs elsewhere; this
    checks the merge, which changes two lines of text.)
    """
    project = tmp_path / "leaf-classifier"
    copier.run_copy(str(template_repo), project, vcs_ref=CURRENT, defaults=True, quiet=True,
                    data={"project_name": "Leaf Classifier", "publisher": "acme"})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == CURRENT and answers["publisher"] == "acme"
    run(*GIT, "init", "-q", "-b", "main", cwd=project)
    run(*GIT, "add", "-A", cwd=project)
    run(*GIT, "commit", "-q", "-m", "generated", cwd=project)
    model = project / "src" / "leaf_classifier" / "model.py"
    model.write_text(model.read_text().replace("FILTERS = (16, 32)", "FILTERS = (24, 48)"))
    run(*GIT, "commit", "-q", "-am", "My own filters", cwd=project)

    # The template moves on: a new version that also changes model.py's docstring.
    copier_yml = template_repo / "copier.yml"
    copier_yml.write_text(copier_yml.read_text().replace(
        f'when: false\n  default: "{CURRENT}"', f'when: false\n  default: "{NEXT}"'
    ))
    template_model = template_repo / KERAS_IMAGE_MODEL
    template_model.write_text(template_model.read_text().replace(
        "Replace it with your own (copy and edit).",
        "Replace it with your own (copy and edit; `copier update` keeps your edits).",
    ))
    run(*GIT, "commit", "-q", "-am", f"template {NEXT}", cwd=template_repo)
    run(*GIT, "tag", NEXT, cwd=template_repo)

    copier.run_update(project, defaults=True, overwrite=True, quiet=True)
    merged = model.read_text()
    assert "FILTERS = (24, 48)" in merged
    assert "(copy and edit; `copier update` keeps your edits)" in merged
    conflicted = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts
                  and "<<<<<<<" in p.read_text(errors="replace")]
    assert not conflicted
    assert f'TEMPLATE_VERSION = "{NEXT}"' in (model.parent / "__init__.py").read_text()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == NEXT
    assert run(*GIT, "status", "--porcelain", cwd=project)  # Left for the user to review.
    run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=project)
    run(sys.executable, "-c", "from leaf_classifier.model import build_model; build_model()",
        cwd=project / "src")
