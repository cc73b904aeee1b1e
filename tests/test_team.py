"""Teams keep many exporters alike: shared defaults, replayed answers, and updates."""

import json
from pathlib import Path
import subprocess
import sys

import copier
import pytest
import yaml

from conftest import (
    CONTEXT,
    GIT,
    TEMPLATE,
    copy_of_template,
    git,
    git_copy_of_template,
    run_project_suite,
    write_export_facts,
)

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
    model = edit_model_and_commit(project)

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


# The last release with the flat layout (every module beside model.py), which projects
# made before the exporter/ subpackage have; updates from it must bring the new layout.
FLAT_LAYOUT = ("0.4.0", "ad52b9a")


@pytest.fixture
def template_history(tmp_path):
    """A template repository holding release 0.4.0, then this tree as the next version."""
    repo = tmp_path / "template"
    repo.mkdir()
    version, commit = FLAT_LAYOUT
    archive = subprocess.run(["git", "archive", "-o", str(tmp_path / "old.tar"), commit],
                             cwd=TEMPLATE, capture_output=True, text=True, check=False)
    assert archive.returncode == 0, (
        f"this checkout lacks template {version} (commit {commit}), which the update test "
        f"starts from: clone the template with its history. {archive.stderr.strip()}"
    )
    run("tar", "-xf", str(tmp_path / "old.tar"), "-C", str(repo))
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", f"template {version}", cwd=repo)
    git("tag", version, cwd=repo)
    git("rm", "-q", "-r", ".", cwd=repo)
    copy_of_template(repo)
    for name, old in (("copier.yml", f'when: false\n  default: "{CURRENT}"'),
                      ("cookiecutter.json", f'"__template_version": "{CURRENT}"')):
        (repo / name).write_text((repo / name).read_text().replace(old, old.replace(CURRENT, NEXT)))
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", f"template {NEXT}", cwd=repo)
    git("tag", NEXT, cwd=repo)
    return repo


def edit_model_and_commit(project):
    """The user's own model: a committed change to the example's filters."""
    run(*GIT, "init", "-q", "-b", "main", cwd=project)
    run(*GIT, "add", "-A", cwd=project)
    run(*GIT, "commit", "-q", "-m", "generated", cwd=project)
    model = project / "src" / "leaf_classifier" / "model.py"
    model.write_text(model.read_text().replace("FILTERS = (16, 32)", "FILTERS = (24, 48)"))
    run(*GIT, "commit", "-q", "-am", "My own filters", cwd=project)
    return model


def project_files(project):
    return {str(p.relative_to(project)) for p in project.rglob("*")
            if p.is_file() and ".git" not in p.parts and p.suffix != ".rej"}


def assert_moved_to_the_new_layout(project, model, fresh):
    """The user's model survives, the new layout arrives whole, the old one is gone."""
    assert "FILTERS = (24, 48)" in model.read_text()
    answers = {".copier-answers.yml", ".cruft.json"}
    assert project_files(project) - answers == project_files(fresh) - answers
    package = project / "src" / "leaf_classifier"
    assert (package / "exporter" / "verify.py").is_file()
    assert not (package / "verify.py").exists()
    conflicted = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts
                  and "<<<<<<<" in p.read_text(errors="replace")]
    assert not conflicted
    assert f'TEMPLATE_VERSION = "{NEXT}"' in (package / "__init__.py").read_text()
    # The update brings the doc's Export facts block with the example's facts: the
    # user's next export writes their model's (the CHANGELOG says so).
    write_export_facts(project, "leaf_classifier")
    run_project_suite(project)


def test_copier_update_brings_a_0_4_0_project_to_the_new_layout(template_history, tmp_path):
    project, fresh = tmp_path / "leaf-classifier", tmp_path / "fresh" / "leaf-classifier"
    data = {"project_name": "Leaf Classifier", "publisher": "acme"}
    copier.run_copy(str(template_history), project, vcs_ref=FLAT_LAYOUT[0], defaults=True,
                    quiet=True, data=data)
    model = edit_model_and_commit(project)
    assert (model.parent / "verify.py").is_file()  # The flat layout, as 0.4.0 made it.
    copier.run_update(project, defaults=True, overwrite=True, quiet=True)
    copier.run_copy(str(template_history), fresh, vcs_ref=NEXT, defaults=True, quiet=True,
                    data=data)
    assert_moved_to_the_new_layout(project, model, fresh)


def test_cruft_update_brings_a_0_4_0_project_to_the_new_layout(template_history, tmp_path):
    cruft = str(BIN / "cruft")
    context = json.dumps({"project_name": "Leaf Classifier", "publisher": "acme"})
    for out, ref in ((tmp_path / "projects", FLAT_LAYOUT[0]), (tmp_path / "fresh", NEXT)):
        run(cruft, "create", "--no-input", "--checkout", ref, "--output-dir", str(out),
            "--extra-context", context, str(template_history))
    project = tmp_path / "projects" / "leaf-classifier"
    model = edit_model_and_commit(project)
    assert (model.parent / "verify.py").is_file()
    run(cruft, "update", "--skip-apply-ask", "--checkout", NEXT, cwd=project)
    assert_moved_to_the_new_layout(project, model, tmp_path / "fresh" / "leaf-classifier")
