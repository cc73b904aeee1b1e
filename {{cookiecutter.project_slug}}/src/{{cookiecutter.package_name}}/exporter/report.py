"""The export's report: labelled fields, laid out here and read back here.

The commands print a report as aligned `label: value` lines. The values are
data (`Restored.fields()`, `Report.fields()`, `Exported.fields()`); this module
alone pads them into lines, and `read` turns printed lines back into the same
fields, so that scripts and tests read values, not column widths.
"""

LABEL_WIDTH = 23  # "regularization losses: ", the longest label and its colon.


def format_fields(fields):
    """`[(label, value), ...]` as aligned lines, one per field."""
    return "\n".join(f"{label + ':':<{LABEL_WIDTH}}{value}" for label, value in fields)


def read(printed):
    """{label: value} of every report line in `printed` (other lines are skipped).

    Raises:
      ValueError: a label is printed twice, with different values.
    """
    fields = {}
    for line in printed.splitlines():
        label, colon, _ = line.partition(":")
        padding = line[len(label) + 1:LABEL_WIDTH]
        if not colon or not padding or padding.strip() or len(line) <= LABEL_WIDTH:
            continue  # Not a report line: a warning, a path on its own, a table.
        value = line[LABEL_WIDTH:]
        if fields.setdefault(label, value) != value:
            raise ValueError(f"report field {label!r} printed twice: {fields[label]!r}, {value!r}")
    return fields
