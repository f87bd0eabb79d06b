"""The user-error class: the CLI turns it into one clear line and a non-zero exit, no traceback."""


class ErroreUtente(Exception):
    """A problem the operator can fix (bad file, bad option), as opposed to a bug."""

    exit_code = 2


def senza_nul(valore: str | None, campo: str) -> str | None:
    """Refuse a NUL character in text headed for the database: PostgreSQL rejects it in any
    text value (the request then failed with a 500, the CLI with a traceback), and no
    motivazione, reference or reason has a use for it."""
    if valore is not None and "\x00" in valore:
        raise ErroreUtente(f"il campo {campo} contiene un carattere nullo (NUL), non ammesso")
    return valore


class FileTroppoGrande(ErroreUtente):
    """A file that would expand past the limits (rows, decompressed bytes): the API's 413."""
