"""Exports this project's model as a reusable TF2 SavedModel.

Model-doc handle (publisher/model/version):
{{ cookiecutter.publisher }}/{{ cookiecutter.model_name }}/{{ cookiecutter.model_version }}
"""

import os
import sys

# The version of the reusable-SavedModel template this project was generated from.
TEMPLATE_VERSION = "{{ cookiecutter.__template_version }}"


def _import_tensorflow_quietly():
    """Imports TensorFlow without its C++ start-up lines, which say nothing about this project.

    TF_CPP_MIN_LOG_LEVEL hides what TensorFlow logs once running, but not the lines
    its libraries print while loading (CUDA probing on machines without a GPU): those
    are written to stderr before logging is set up, so stderr is closed for the import.
    Python errors are raised as usual, after it is reopened.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    stderr = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)


# Only for this package's commands (`python -m <package>.<command>`), and only when
# nobody asked otherwise: TF_CPP_MIN_LOG_LEVEL=0 shows everything.
_COMMAND = sys.orig_argv[sys.orig_argv.index("-m") + 1] if "-m" in sys.orig_argv else ""
if _COMMAND.startswith(f"{__name__}.") and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
    _import_tensorflow_quietly()
