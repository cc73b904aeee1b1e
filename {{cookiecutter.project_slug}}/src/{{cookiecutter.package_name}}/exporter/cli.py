"""How every command of this package runs: absl flags, as TensorFlow's exporters.

Each command module is a library first: it defines its flags only in its own
`if __name__ == "__main__":` block (a pipeline that imports several commands'
functions gets no duplicate flags), then calls `run(main)`, which

- prints `--help` (the module docstring and its flags) and exits 0,
- keeps TensorFlow's Python-side INFO lines (files written, inputs renamed)
  out of the command's own report; `--verbosity=0` brings them back.

TensorFlow's C++ start-up lines are silenced by the package's `__init__.py`,
before TensorFlow is imported; `TF_CPP_MIN_LOG_LEVEL=0` brings them back.
"""

import logging

from absl import app, flags
from absl import logging as absl_logging

HELP = ("--help", "-h", "-?", "--helpshort", "--helpfull")


def run(main):
    """Parses the flags and runs `main(argv)` as absl's `app.run` does."""
    app.run(main, flags_parser=_parse)


def _parse(argv):
    if any(argument in HELP for argument in argv[1:]):
        app.usage(shorthelp=True, writeto_stdout=True, exitcode=0)
    remaining = app.parse_flags_with_usage(argv)
    if not flags.FLAGS["verbosity"].present:
        absl_logging.set_verbosity(absl_logging.WARNING)
        logging.getLogger("tensorflow").setLevel(logging.WARNING)
    return remaining

