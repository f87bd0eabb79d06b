"""Pseudonymisation on arrival: a codice fiscale in `id_assistito` never reaches the register.

A value shaped like a codice fiscale (omocodia letters included) is replaced by a keyed hash
(HMAC-SHA256 with the authority's secret), so the same citizen keeps the same pseudonym
across files while the clear code is stored nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import polars as pl

from registro.settings import Settings

# 6 letters, 2 "digits", month letter, 2 "digits", 1 letter, 3 "digits", check letter;
# a digit may be replaced by LMNPQRSTUV (omocodia).
_D = "[0-9LMNPQRSTUV]"
CODICE_FISCALE = rf"^[A-Z]{{6}}{_D}{{2}}[ABCDEHLMPRST]{_D}{{2}}[A-Z]{_D}{{3}}[A-Z]$"
PREFISSO = "H"


def chiave(settings: Settings) -> bytes:
    """The HMAC key: the setting, else a key generated once and kept in the data folder."""
    if settings.chiave_pseudonimi:
        return settings.chiave_pseudonimi.encode("utf-8")
    path = Path(settings.data_dir) / "chiave_pseudonimi"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def pseudonimo(valore: str, key: bytes) -> str:
    digest = hmac.new(key, valore.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFISSO + digest[:40]


def pseudonimizza(df: pl.DataFrame, colonna: str, key: bytes) -> tuple[pl.DataFrame, int]:
    """Replace codici fiscali in `colonna`; returns the frame and how many were replaced.

    HMAC has no vectorised form: it runs once per *distinct* code found, not per row.
    """
    norm = pl.col(colonna).str.strip_chars().str.to_uppercase()
    trovati = df.select(norm.alias("cf")).filter(pl.col("cf").str.contains(CODICE_FISCALE))
    if trovati.height == 0:
        return df, 0
    distinti = trovati["cf"].unique()
    mappa = dict(zip(distinti.to_list(), [pseudonimo(v, key) for v in distinti.to_list()],
                     strict=True))
    out = df.with_columns(
        pl.when(norm.str.contains(CODICE_FISCALE))
        .then(norm.replace(mappa))
        .otherwise(pl.col(colonna))
        .alias(colonna))
    return out, trovati.height
