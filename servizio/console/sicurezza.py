"""Passwords and session ids: argon2 (argon2-cffi) for the passwords, random ids stored only
as their SHA-256, CSRF tokens compared in constant time. Nothing here logs a secret."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
_FITTIZIO = _hasher.hash("password-fittizia-per-i-nomi-sconosciuti")
"""Checked against when the name is unknown or disabled: the answer then takes as long as
for a known name, so the timing does not tell which names exist."""

LUNGHEZZA_MINIMA = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verifica_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; an unknown name (`None`) is checked against a dummy hash
    and always fails."""
    try:
        _hasher.verify(password_hash or _FITTIZIO, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def password_generata() -> str:
    """A random password (16 URL-safe characters, ~96 bits), shown once."""
    return secrets.token_urlsafe(12)


def controlla_password(password: str) -> str | None:
    """Why a new password is refused (Italian), or None."""
    if len(password) < LUNGHEZZA_MINIMA:
        return f"la password deve avere almeno {LUNGHEZZA_MINIMA} caratteri"
    if "\x00" in password:
        return "la password contiene un carattere non ammesso"
    return None


def nuovo_id() -> str:
    return secrets.token_urlsafe(32)


def impronta(identificativo: str) -> str:
    return hashlib.sha256(identificativo.encode("utf-8")).hexdigest()


def stesso_token(atteso: str, ricevuto: str | None) -> bool:
    """CSRF check (synchronizer token: the one stored in the server-side session)."""
    if not ricevuto:
        return False
    return secrets.compare_digest(atteso.encode("utf-8"), ricevuto.encode("utf-8"))
