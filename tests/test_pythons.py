"""A baked project installs and passes its own suite on every Python TensorFlow 2.21 supports.

Installed the way its README says, from its own pyproject.toml: `python -m venv .venv`, then
`.venv/bin/pip install -e ".[test]"`, in a fresh venv per Python, then `pytest`. The template's
own .venv (test_variants.py) cannot show this: it has its own pins, and on Python 3.12+ a venv
comes without setuptools, which is how a missing pin (tensorflow-hub's pkg_resources) broke
3.13 for users while every template test passed.

Each Python runs one variant, so both input kinds meet a new Python without baking the whole
matrix four times. Install and suite times are printed (`-rP` shows them) and recorded as
properties (`--junitxml`).
"""

import glob
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time

from packaging.specifiers import SpecifierSet
import pytest

from conftest import PYTHON_VARIANTS

# The Pythons tensorflow 2.21.0 publishes wheels for, each with the variant it runs (conftest.py).
PYTHONS = PYTHON_VARIANTS
UNSUPPORTED = ["3.9", "3.14"]

# The warnings a suite may print. Known dependency warnings are filtered by name in the
# generated pyproject.toml; what is left concerns the project's own code (none since its
# TFLite test and model-doc example run LiteRT's interpreter, not the deprecated
# tf.lite.Interpreter). More than this is a flood again.
MAX_WARNINGS = 5
WARNING_LINE = re.compile(r"^\s+\S+:\d+: (\w*Warning): *(.{0,90})", re.MULTILINE)


def pip_cache_dir():
    """One pip cache for every install and run, the user's own unless PIP_CACHE_DIR says else.

    pip reuses a download from it only when the index's responses allow caching.
    """
    if os.environ.get("PIP_CACHE_DIR"):
        return os.environ["PIP_CACHE_DIR"]
    found = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True, check=False
    )
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    return str(Path(__file__).resolve().parents[1] / "build" / "pip-cache")


def pyenv_roots():
    roots = [os.environ.get("PYENV_ROOT", "")]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        roots.append(root.stdout.strip())
    roots.append(str(Path.home() / ".pyenv"))
    return list(dict.fromkeys(r for r in roots if r))


def find_python(version):
    """An interpreter of `version` (pyenv's, then pythonX.Y on PATH, then this one), or None."""
    found = []
    for root in pyenv_roots():
        # Newest patch release first: 3.10.13 before 3.10.9.
        paths = glob.glob(f"{root}/versions/{version}.*/bin/python")
        found += sorted(paths, key=lambda p: [int(n) for n in re.findall(r"\d+", p)], reverse=True)
    found += [shutil.which(f"python{version}"), sys.executable]
    for path in filter(None, dict.fromkeys(found)):
        # A pyenv shim for a version that is not activated exits non-zero: not this one.
        probe = subprocess.run(
            [path, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None


def clean_env(venv, cache):
    """The environment of a shell after `. .venv/bin/activate`, as the README has it."""
    env = {**os.environ, "PIP_CACHE_DIR": cache, "VIRTUAL_ENV": str(venv),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    # Nothing of the template's own environment or test run leaks into the user's.
    for name in ("PYTHONPATH", "PYTHONHOME", "PIP_NO_CACHE_DIR", "PYTEST_XDIST_WORKER",
                 "PYTEST_XDIST_WORKER_COUNT", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    return env


def warnings_section(output):
    start = output.find("warnings summary")
    return output[start:start + 6000] if start >= 0 else "(no warnings summary)"


def warning_kinds(output):
    """Each distinct warning of a pytest run's summary, as `Category: start of message`."""
    section = output[output.find("warnings summary"):] if "warnings summary" in output else ""
    found = (f"{c}: {m.strip()}" for c, m in WARNING_LINE.findall(section))
    return "; ".join(dict.fromkeys(found)) or "none"


def full_version(python):
    """`3.11.2` for an interpreter path, or None when it does not run."""
    probe = subprocess.run(
        [python, "-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True, text=True, check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def system_pythons():
    """The system's own python3 (Debian 12's is 3.11.2) where it differs from those tested above.

    requires-python admits every patch release, so a distribution's older one is a user's
    Python too: tarfile's `filter` (3.11.4) once failed every suite on 3.11.2 while pyenv's
    newer patch releases passed.
    """
    system = "/usr/bin/python3"
    version = full_version(system) if os.path.exists(system) else None
    if version is None or version.rsplit(".", 1)[0] not in PYTHONS:
        return []
    tested = {full_version(p) for p in map(find_python, PYTHONS) if p}
    return [] if version in tested else [pytest.param(system, id=f"system-{version}")]


@pytest.mark.parametrize("version", PYTHONS)
def test_baked_project_installs_and_passes_on(version, cookies, record_property):
    python = find_python(version)
    if python is None:
        places = [f"{root}/versions/{version}.*/bin/python" for root in pyenv_roots()]
        pytest.fail(
            f"Python {version} not found, so the generated project is untested on it: "
            f"tensorflow 2.21 supports 3.10-3.13 and the project promises each. Looked in "
            f"{', '.join(places)}, python{version} on PATH and {sys.executable}. Install it "
            f"(`pyenv install {version}`) or put python{version} on PATH.",
            pytrace=False,
        )
    install_and_run_suite(python, PYTHONS[version], cookies, record_property)


@pytest.mark.parametrize("python", system_pythons())
def test_baked_project_installs_and_passes_on_the_system_python(python, cookies, record_property):
    # The default project: the pyenv runs give 3.11 a text project, so this one meets images.
    install_and_run_suite(python, {}, cookies, record_property)


def install_and_run_suite(python, variant, cookies, record_property):
    """Bakes `variant`, installs it with `python` as its README says, and runs its suite."""
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    env = clean_env(project / ".venv", pip_cache_dir())
    answers = json.dumps(variant) if variant else "default"
    label = f"Python {full_version(python)} ({python}), {answers}"
    install_s = install(python, project, env, label, result.context["project_slug"])
    run_suite(project, env, label, install_s, record_property)


def install(python, project, env, label, distribution):
    """Seconds to make the venv and `pip install -e .[test]`; checks the metadata it promises."""
    venv = project / ".venv"
    started = time.monotonic()
    pip = str(venv / "bin" / "pip")
    for step in ([python, "-m", "venv", ".venv"], [pip, "install", "-e", ".[test]"]):
        install = subprocess.run(
            step, cwd=project, capture_output=True, text=True, env=env, check=False
        )
        assert install.returncode == 0, (
            f"{label}: `{' '.join(step)}` failed after {time.monotonic() - started:.0f} s:\n"
            + install.stdout[-3000:] + install.stderr[-3000:]
        )
    install_s = time.monotonic() - started

    # The metadata pip built from pyproject.toml promises exactly the Pythons tested here.
    metadata = subprocess.run(
        [str(venv / "bin/python"), "-c",
         "import importlib.metadata as m, json, sys; d = m.metadata(sys.argv[1]); "
         "print(json.dumps([d['Requires-Python'], d.get_all('Classifier')]))",
         distribution],
        capture_output=True, text=True, env=env, check=True,
    )
    requires_python, classifiers = json.loads(metadata.stdout)
    admitted = [v for v in [*UNSUPPORTED, *PYTHONS] if SpecifierSet(requires_python).contains(v)]
    assert admitted == list(PYTHONS), requires_python
    versions = [c.rsplit(":: ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c)]
    assert versions == list(PYTHONS), classifiers
    return install_s


def run_suite(project, env, label, install_s, record_property):
    venv = project / ".venv"
    started = time.monotonic()
    suite = subprocess.run(
        [str(venv / "bin/pytest"), "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, env=env, check=False,
    )
    suite_s = time.monotonic() - started
    summary = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else ""
    timing = f"{label}: install {install_s:.0f} s, suite {suite_s:.0f} s: {summary.strip('= ')}"
    print(timing)
    print(f"  warnings: {warning_kinds(suite.stdout)}")
    record_property("install_seconds", round(install_s, 1))
    record_property("suite_seconds", round(suite_s, 1))

    assert suite.returncode == 0, timing + "\n" + suite.stdout[-6000:] + suite.stderr[-3000:]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, timing
    count = re.search(r"(\d+) warnings?", summary)
    assert not count or int(count.group(1)) <= MAX_WARNINGS, (
        f"{timing}\nmore than {MAX_WARNINGS} warnings: filter the understood ones by name in "
        f"the generated pyproject.toml, fix the rest:\n{warnings_section(suite.stdout)}"
    )
