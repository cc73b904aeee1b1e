"""The model doc's generated block: the export's facts (`model_facts.py`), one line each.

The block is the lines between `START` and `END`; everything else in the doc is
the user's and is never written. `export` rewrites the block after the export
is verified (`write_doc`); the doc test compares it with the facts of the
session's export (`stale_lines`), except the artifact line: the session
exports its own checkpoint, whose package has another SHA-256.
"""

from pathlib import Path

from {{ cookiecutter.package_name }}.exporter.example_inputs import example_inputs
from {{ cookiecutter.package_name }}.exporter.model_facts import collect
from {{ cookiecutter.package_name }}.model import HYPERPARAMETERS

PACKAGE = "{{ cookiecutter.package_name }}"
# The doc `kaggle_metadata.py` reads too; not imported from there, which needs kagglehub.
DOC = (
    Path(__file__).resolve().parents[3] / "assets" / "docs"
    / "{{ cookiecutter.publisher }}" / "models"
    / "{{ cookiecutter.model_name }}" / "{{ cookiecutter.model_version }}.md"
)
START = (
    f"<!-- Export facts: written by python -m {PACKAGE}.export from the model and the "
    "SavedModel. Edit model.py, not these lines. -->"
)
END = "<!-- End of export facts. -->"
# Facts of the artifact exported from the user's checkpoint, not of the model.
UNCHECKED = ("Artifact",)
REWRITE = f"python -m {PACKAGE}.export --checkpoint_dir CHECKPOINT --export_dir DIR"


class DocError(Exception):
    """The doc has no block to write the facts into."""


def render(facts):
    """The block's lines, markers included."""
    return [START, *(f"- {label}: {text}." for label, text in facts.items()), END]


def block(doc=DOC):
    """(index of the START line, the block's lines) of the doc at `doc`."""
    lines = Path(doc).read_text().splitlines()
    if lines.count(START) != 1 or lines.count(END) != 1 or lines.index(END) < lines.index(START):
        raise DocError(
            f"{doc} has no export-facts block: put the two lines `{START}` and `{END}`, once "
            "each, where the facts go (the template puts them under ## Export facts)"
        )
    start = lines.index(START)
    return start, lines[start:lines.index(END) + 1]


def write_doc(exported, doc=DOC):
    """Rewrites the doc's block with the facts of `exported`; returns the line `export` prints."""
    inputs = example_inputs(4, seed=1)
    facts = collect(
        exported.model, exported.report.path, HYPERPARAMETERS, inputs,
        archive=exported.archive, sha256=exported.sha256,
    )
    changed = rewrite(facts, doc)
    return f"model doc:             {doc} ({changed} of {len(facts)} facts changed)"


def rewrite(facts, doc=DOC):
    """Replaces the doc's block with `facts`, leaving every other byte; returns how many changed."""
    start, old = block(doc)
    lines = Path(doc).read_text().splitlines(keepends=True)
    new = render(facts)
    ending = lines[start + len(old) - 1][len(END):]  # The END line's own line break, if any.
    text = [*lines[:start], *(line + "\n" for line in new[:-1]), END + ending]
    Path(doc).write_text("".join([*text, *lines[start + len(old):]]))
    return len(set(new) - set(old))


def stale_lines(facts, doc=DOC):
    """One line for each fact the doc's block states otherwise: its line, what it should read."""
    start, lines = block(doc)
    stated = dict(_labelled(lines[1:-1]))
    found = []
    for label, line in _labelled(render(facts)[1:-1]):
        if label in UNCHECKED:
            continue
        if stated.get(label) != line:
            where = start + 1 + lines.index(stated[label]) if label in stated else start + 1
            says = f"says {stated[label]!r}" if label in stated else f"has no {label!r} line"
            found.append(
                f"{Path(doc).name} line {where} {says}; the export says {line!r} "
                f"(`{REWRITE}` rewrites the block)"
            )
    return found


def _labelled(lines):
    """(label, line) of the block's `- Label: text.` lines."""
    return [(line[2:].split(":", 1)[0], line) for line in lines]
