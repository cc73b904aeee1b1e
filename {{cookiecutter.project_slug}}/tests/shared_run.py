"""What the pytest-xdist workers of one test run share: a directory, and results computed once.

The session's `train` and `export` take most of a minute each: the first worker to
need one runs it, and the others wait for it and read what it left. Without
pytest-xdist (`-n 0`) the one process is the first, and nothing waits.
"""

import fcntl
import json

import pytest


def directory(config, tmp_path_factory):
    """A directory of this test run that all its pytest-xdist workers see."""
    base = tmp_path_factory.getbasetemp()
    # A worker's own directory is <the run's>/popen-gw<N>.
    return base.parent if hasattr(config, "workerinput") else base


def once(path, compute):
    """`compute()`, run by the first worker to get here; the others wait and read its result.

    The result (or the failure) is kept as JSON at `path`.json; `path`.lock serializes.
    """
    result = path.with_name(path.name + ".json")
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # Released when the file closes.
        if not result.exists():
            try:
                result.write_text(json.dumps({"value": compute()}))
            except pytest.fail.Exception as failure:
                result.write_text(json.dumps({"failed": str(failure)}))
        outcome = json.loads(result.read_text())
    if "failed" in outcome:
        pytest.fail(outcome["failed"], pytrace=False)
    return outcome["value"]
