"""The user-error class: the CLI turns it into one clear line and a non-zero exit, no traceback."""


class ErroreUtente(Exception):
    """A problem the operator can fix (bad file, bad option), as opposed to a bug."""

    exit_code = 2
