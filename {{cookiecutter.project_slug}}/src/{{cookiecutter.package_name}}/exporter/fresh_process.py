"""Verification in a fresh Python process: nothing of the exporting process is shared.

`FreshProcessVerifier` starts the process before the SavedModel is written, so
that its Python and TensorFlow imports (about 1.6 s) overlap the export; `verify`
then hands it the paths. The protocol: two lines on stdin (the SavedModel
directory, the `Expectations` file), the `Report` as JSON on stdout's last line,
or `ERROR: <reason>` on stderr and exit status 1.
"""

import dataclasses
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile

from {{ cookiecutter.package_name }}.exporter import cli
from {{ cookiecutter.package_name }}.exporter.expectations import Expectations, Report
from {{ cookiecutter.package_name }}.exporter.filesystems import (
    UnknownSchemeError,
    location,
)
from {{ cookiecutter.package_name }}.exporter.verify import (
    VerificationError,
    verify_saved_model,
)


class FreshProcessVerifier:
    """A Python process that verifies one SavedModel, started before it is written.

    Starting it first lets its Python and TensorFlow imports (about 1.6 s) run
    while the export traces and saves. Use as a context manager; `verify` hands
    over the paths and waits for the `Report`.
    """

    def __enter__(self):
        # The child imports this package from wherever this process found it.
        source = str(Path(__file__).resolve().parents[2])
        path_entries = [source, os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path_entries)}
        self._scratch = tempfile.TemporaryDirectory()
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        return self

    def verify(self, path, expected):
        """Checks `path` against `expected` in the child process; returns its `Report`."""
        expectations = Path(self._scratch.name) / "expectations.npz"
        expected.save(expectations)
        stdout, stderr = self._process.communicate(f"{path}\n{expectations}\n")
        if self._process.returncode:
            lines = stderr.strip().splitlines() or ["(no output)"]
            errors = [line for line in lines if line.startswith("ERROR: ")]
            raise VerificationError((errors or lines)[-1].removeprefix("ERROR: "))
        return Report(**json.loads(stdout.strip().splitlines()[-1]))

    def __exit__(self, *exc_info):
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._scratch.cleanup()


def verify_in_fresh_process(path, expected):
    """Runs `verify_saved_model` in a new Python process; returns its `Report`."""
    with FreshProcessVerifier() as verifier:
        return verifier.verify(path, expected)


def main(argv):
    del argv  # Unused.
    paths = sys.stdin.read().split("\n")[:2]
    if len(paths) != 2 or not all(paths):
        sys.exit("ERROR: no SavedModel to verify was given on stdin")
    try:
        report = verify_saved_model(location(paths[0]), Expectations.load(paths[1]))
    except (UnknownSchemeError, VerificationError) as error:
        sys.exit(f"ERROR: {error}")
    print(json.dumps(dataclasses.asdict(report)))


if __name__ == "__main__":
    cli.run(main)
