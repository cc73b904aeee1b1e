"""Every supported variant bakes a clean project whose own test suite passes."""

import re

import pytest

from conftest import (
    PYTHON_VARIANTS,
    SUPPORTED,
    package_of,
    ruff_check,
    run_project_suite,
    variant_id,
    with_defaults,
)

LEFTOVER_JINJA = re.compile(r"{{ *cookiecutter\.|{%")

# The project's tree, room by room: yours (the model, its data, its doc and their tests),
# the commands you run, and the exporter's machinery with its tests on the stand-in.
YOUR_FILES = {
    "src/{package}/model.py",
    "src/{package}/data.py",
    "assets/docs/my-org/my-org.md",
    "assets/docs/my-org/models/{slug}/1.md",
    "tests/your_model/conftest.py",
    "tests/your_model/test_loading.py",
    "tests/your_model/test_keras_layers.py",
    "tests/your_model/test_serving.py",
    "tests/your_model/test_hyperparameters.py",
    "tests/your_model/test_distribute.py",
    "tests/your_model/test_model_doc.py",
    "tests/your_model/test_train.py",
}
COMMANDS = {
    f"src/{{package}}/{name}.py" for name in ("train", "export", "scan", "publish", "bench")
}
EXPORTER = {
    f"src/{{package}}/exporter/{name}.py"
    for name in ("__init__", "baseline", "bench_report", "benchmark", "beside", "checkpoint",
                 "checkpoint_contents", "cli", "compute_dtype", "destination", "dict_examples",
                 "doc_facts",
                 "errors", "example_inputs", "expectations", "export_lib", "filesystems",
                 "fingerprint", "flex_ops", "fresh_process", "gradients", "input_signature",
                 "kaggle_metadata", "kaggle_signing", "keras_weights", "keyless", "litert_check",
                 "manifest",
                 "model_checks", "model_facts", "op_allowlist", "outputs", "pack", "publish_lib",
                 "report", "restore", "reusable", "serving_checks", "signing", "staging", "tflite",
                 "tflite_ops", "tflite_variation", "timing", "traces", "train_lib", "upload",
                 "upload_plan",
                 "variable_names", "verified_save", "verify", "warmup")
}
EXPORTER_TESTS = {
    "tests/exporter/conftest.py",
    *(f"tests/exporter/test_{name}.py"
      for name in ("bench", "commands", "compute_dtype", "doc_facts", "export", "filesystems",
                   "pack", "placement", "publish", "restore", "reusable", "scan", "serving_checks",
                   "several_inputs", "signing", "staging", "tflite", "verify", "warmup")),
}
SHARED = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "tests/conftest.py",
    "tests/commands.py",
    "tests/scheduling.py",
    "tests/shared_run.py",
    "tests/stand_in.py",
    "tests/training_state.py",
    "tests/consumer_defaults.py",
    "tests/digests.py",
    "tests/model_io.py",
    "tests/tflite_refusal.py",
}
COMMON_FILES = YOUR_FILES | COMMANDS | EXPORTER | EXPORTER_TESTS | SHARED

# The package and the model doc are named after what goes in: image_model or text_model.
# Only text models tokenize, with a vocabulary shipped beside the model; image models'
# synthetic data takes any shape of numbers.
TEXT_FILES = {
    "src/{package}/tokenizer.py",
    "src/{package}/vocabulary.txt",
    "tests/your_model/test_vocabulary.py",
}
IMAGE_FILES = {"tests/your_model/test_data.py"}
# Only Keras models come from Keras' own weight files; a low-level model has none.
KERAS_FILES = {"tests/exporter/test_keras_files.py"}


def files_of(project):
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def expected_files(variant):
    package = package_of(variant)
    text = variant["task"].startswith("text-")
    keras_model = variant["model_type"] != "checkpoint"
    return {
        name.format(package=package, slug=package.replace("_", "-"))
        for name in COMMON_FILES | (TEXT_FILES if text else IMAGE_FILES)
        | (KERAS_FILES if keras_model else set())
    }


def test_bakes_exactly_the_expected_files(baked, variant):
    assert files_of(baked) == expected_files(variant)


def test_no_unrendered_jinja(baked):
    for path in baked.rglob("*"):
        assert not LEFTOVER_JINJA.search(str(path.relative_to(baked))), path
        if path.is_file():
            text = path.read_text()
            match = LEFTOVER_JINJA.search(text)
            assert not match, f"{path}: {text[max(match.start() - 80, 0):match.end() + 80]}"


def test_ruff_passes(baked):
    ruff_check(baked)


# The longest names the prompts accept: a 40-character package, publisher and model name.
LONGEST_NAMES = {
    "project_name": "Multilingual Sentence Encoder For Search",
    "publisher": "a-publisher-with-a-rather-long-handle-40",
}


def test_ruff_passes_with_the_longest_names(cookies, variant):
    result = cookies.bake(extra_context={**variant, **LONGEST_NAMES})
    assert result.exit_code == 0, result.exception
    package = next((result.project_path / "src").iterdir()).name
    assert len(package) == len(result.project_path.name) == 40
    ruff_check(result.project_path)


def test_model_type_decides_the_model(baked, variant):
    model = (baked / "src" / package_of(variant) / "model.py").read_text()
    text = variant["task"].startswith("text-")
    assert ('INPUT_SIGNATURE = tf.TensorSpec([None], tf.string, name="text")' in model) == text
    if variant["model_type"] == "checkpoint":
        assert f"class {'TextNet' if text else 'ConvNet'}(tf.Module)" in model
    else:
        expected = "import tf_keras as keras" if variant["keras_flavour"] == "tf_keras" else (
            "import keras\n"
        )
        assert expected in model
        assert "(keras.Model):" in model


# Each supported variant's suite runs once: these here, the others on their own Python.
ON_OTHER_PYTHONS = [with_defaults(answers) for answers in PYTHON_VARIANTS.values()]
HERE = [variant for variant in SUPPORTED if variant not in ON_OTHER_PYTHONS]


def test_every_variants_suite_runs_once():
    assert sorted(map(variant_id, HERE + ON_OTHER_PYTHONS)) == sorted(map(variant_id, SUPPORTED))


@pytest.mark.parametrize("variant", HERE, ids=variant_id)
def test_generated_test_suite_passes(cookies, variant):
    """Bakes the variant and runs its own round-trip tests, as its user would.

    The variants test_pythons.py installs on another Python run their suites there.
    """
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    summary, seconds = run_project_suite(result.project_path)
    print(f"{variant_id(variant)}: {summary} ({seconds:.0f} s)")


def test_every_prompt_reaches_the_project(cookies):
    """Non-default answers to every free-form prompt, then the suite's interface checks."""
    answers = {
        "project_name": "Leaf Lens", "image_size": "32", "publisher": "acme-lab",
        "model_name": "leaf_lens.v2", "model_version": "3", "license": "mit", "author": "Ann Lee",
    }
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    doc = project / "assets/docs/acme-lab/models/leaf_lens.v2/3.md"
    text = doc.read_text()
    assert text.startswith("# Module acme-lab/leaf_lens.v2/3\n")
    assert "<!-- license: mit -->" in text and "<!-- asset-path: leaf_lens.v2-3.tar.gz -->" in text
    assert "`[batch, 32, 32, 3]`" in text
    assert (project / "assets/docs/acme-lab/acme-lab.md").is_file()
    assert "IMAGE_SIZE = 32" in (project / "src/leaf_lens/model.py").read_text()
    assert "Ann Lee" in (project / "pyproject.toml").read_text()
    run_project_suite(project, "-k", "model_doc or serving_signature or pack")
