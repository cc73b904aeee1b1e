"""The ways the tests run a command of this project: in a subprocess, or in this process.

In a subprocess, `python -m <this package>.<module>` runs exactly as a user runs
it: `run_in_subprocess` waits for it, `start_in_subprocess` does not. In this
process, `run_in_process` runs it as `python -m` would, and saves a TensorFlow
start-up (seconds) where the test is about what the command does.
"""

import contextlib
import importlib.util
import io
import os
from pathlib import Path
import runpy
import subprocess
import sys

from absl import flags
import pytest

import {{ cookiecutter.package_name }}

SRC = Path({{ cookiecutter.package_name }}.__file__).resolve().parents[1]
PACKAGE = {{ cookiecutter.package_name }}.__name__


def command_line(module, *args):
    """The command line of `python -m <this package>.<module> args`."""
    return [sys.executable, "-m", f"{PACKAGE}.{module}", *map(str, args)]


def subprocess_env():
    """An environment in which `python -m <this package>.<module>` finds this package.

    Without TF_CPP_MIN_LOG_LEVEL: the commands run quiet by default, as for a user.
    """
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def run_in_subprocess(module, *args):
    """Runs `python -m <this package>.<module> args` and waits; fails the test if it fails.

    Returns the finished process (its stdout and stderr as text).
    """
    result = subprocess.run(
        command_line(module, *args), capture_output=True, text=True, env=subprocess_env(),
        check=False,
    )
    if result.returncode:
        pytest.fail(f"{module} {' '.join(map(str, args))} failed:\n{result.stderr[-3000:]}")
    return result


def start_in_subprocess(module, *args, umask=None):
    """Starts `python -m <this package>.<module> args`; returns the running process.

    Its stdout and stderr are pipes, as text: `communicate()` reads them.
    """
    return subprocess.Popen(
        command_line(module, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=subprocess_env(), umask=umask,
    )


def run_in_process(module, *args, stdin=""):
    """Runs `python -m <this package>.<module> args` in this process, as `python -m` would.

    Returns:
      (exit code, or the message it exited with; what it printed).
    """
    defined = set(flags.FLAGS)
    stdout = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
            patch.setattr(sys, "argv", [module, *map(str, args)])
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            with pytest.raises(SystemExit) as exit:
                origin = importlib.util.find_spec(f"{PACKAGE}.{module}").origin
                runpy.run_path(origin, run_name="__main__")
    finally:  # The next command defines its own flags, some of the same names.
        for name in set(flags.FLAGS) - defined:
            delattr(flags.FLAGS, name)
    return exit.value.code or 0, stdout.getvalue()
