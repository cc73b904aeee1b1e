"""Every supported variant bakes a clean project whose own test suite passes."""

import os
import re
import subprocess
import sys

import pytest

from conftest import SUPPORTED, variant_id

LEFTOVER_JINJA = re.compile(r"{{ *cookiecutter\.|{%|%}")

COMMON_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/image_model/__init__.py",
    "src/image_model/data.py",
    "src/image_model/export.py",
    "src/image_model/model.py",
    "src/image_model/pack.py",
    "src/image_model/reusable.py",
    "src/image_model/scan.py",
    "src/image_model/train.py",
    "src/image_model/verify.py",
    "assets/docs/my-org/my-org.md",
    "assets/docs/my-org/models/image-model/1.md",
    "tests/conftest.py",
    "tests/test_consumers.py",
    "tests/test_distribute.py",
    "tests/test_export.py",
    "tests/test_model_doc.py",
    "tests/test_pack.py",
    "tests/test_scan.py",
    "tests/test_verify.py",
}


def files_of(project):
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def test_bakes_exactly_the_expected_files(baked):
    assert files_of(baked) == COMMON_FILES


def test_no_unrendered_jinja(baked):
    for path in baked.rglob("*"):
        assert not LEFTOVER_JINJA.search(str(path.relative_to(baked))), path
        if path.is_file():
            text = path.read_text()
            match = LEFTOVER_JINJA.search(text)
            assert not match, f"{path}: {text[max(match.start() - 80, 0):match.end() + 80]}"


def test_ruff_passes(baked):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=baked, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_model_type_decides_the_model(baked, variant):
    model = (baked / "src/image_model/model.py").read_text()
    if variant["model_type"] == "checkpoint":
        assert "class ConvNet(tf.Module)" in model
    else:
        expected = "import tf_keras as keras" if variant["keras_flavour"] == "tf_keras" else (
            "import keras\n"
        )
        assert expected in model
        assert "(keras.Model):" in model


@pytest.mark.parametrize("variant", SUPPORTED, ids=variant_id)
def test_generated_test_suite_passes(cookies, variant):
    """Bakes the variant and runs its own round-trip tests, as its user would."""
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=result.project_path, capture_output=True, text=True, env=env, check=False,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    print(f"{variant_id(variant)}: {summary}")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary
