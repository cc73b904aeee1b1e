"""The export's refusal, and an error's message as one line for the refusals commands print."""


def first_line(error, *, lines=1, limit=300):
    """The first line of an error's message (its type if it has none), for a one-line refusal.

    `lines` joins that many non-blank lines, for errors whose first line only
    announces the reason (Keras 3's "could not be loaded. Example error message
    for object ...:", then the reason); `limit` cuts a long one (a tensor's
    values, a server's response) to that many characters; None keeps it whole.
    """
    found = [line for line in str(error).strip().splitlines() if line.strip()]
    return " ".join(found[:lines] or [type(error).__name__])[:limit]


class ExportError(Exception):
    """The export was refused; nothing was moved into place."""
