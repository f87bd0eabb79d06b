"""The errors an operator can fix, and the domain's refusals: the CLI turns each into one
clear line and a non-zero exit, no traceback; the API maps each to its status code at its
edge (servizio/api/errori.py), so the rules that raise them know nothing of HTTP."""


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


class NonTrovato(ErroreUtente):
    """What was asked for is not in the register (the API's 404)."""


class Conflitto(ErroreUtente):
    """The request contradicts the record's state, e.g. an illegal transition or a state
    changed meanwhile by someone else (the API's 409)."""


class TroppoGrande(ErroreUtente):
    """An upload larger than `api_max_upload_mb` (the API's 413)."""


class FileTroppoGrande(ErroreUtente):
    """A file that would expand past the limits (rows, decompressed bytes): the API's 413."""
