"""Pseudonymisation on arrival: a codice fiscale never reaches the register, however written.

A value shaped like a codice fiscale (omocodia letters included) is replaced by a keyed hash
(HMAC-SHA256 with the authority's secret), so the same citizen keeps the same pseudonym
across files while the clear code is stored nowhere. Exports write codes in many ways, so:

- the code is normalised before hashing (spaces, dots and dashes removed, upper case):
  `RSS MRA 80A01 H501U`, `rssmra80a01h501u` and `RSSMRA80A01H501U` give one pseudonym;
- in `id_assistito` a whole value that is a codice fiscale in any spelling is replaced, and
  so is an 11-digit value (the numeric codice fiscale of temporary codes): a pseudonymous id
  produced by the CUP is not expected to look like a codice fiscale, so such a value is
  hashed rather than risked in clear;
- in every other column (free text such as `causale_annullamento`, a JSON value turned into
  text, a code typed in the wrong field) each codice-fiscale-shaped *token* is replaced by
  its pseudonym, wherever it stands in the text; in the free-text columns an 11-digit
  number standing alone is replaced too (in codes and ids it may be a legitimate key).

The pseudonym of a plain upper-case code is unchanged from earlier versions (same
normalisation of the same text), so existing registers keep their pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from registro import riservato
from registro.errors import ErroreUtente
from registro.settings import Settings

# 6 letters, 2 "digits", month letter, 2 "digits", 1 letter, 3 "digits", check letter;
# a digit may be replaced by LMNPQRSTUV (omocodia).
_D = "[0-9LMNPQRSTUV]"
CODICE_FISCALE = rf"^[A-Z]{{6}}{_D}{{2}}[ABCDEHLMPRST]{_D}{{2}}[A-Z]{_D}{{3}}[A-Z]$"
PREFISSO = "H"

_S = r"[ .\-]?"
"""A separator people put between the groups of a codice fiscale (`RSS MRA 80A01 H501U`)."""
_DI = "[0-9LMNPQRSTUVlmnpqrstuv]"
_L = "[A-Za-z]"
CF_NEL_TESTO = (
    rf"(?-u:\b){_L}{{3}}{_S}{_L}{{3}}{_S}{_DI}{{2}}{_S}[ABCDEHLMPRSTabcdehlmprst]{_S}{_DI}{{2}}"
    rf"{_S}{_L}{_S}{_DI}{{3}}{_S}{_L}(?-u:\b)")
"""A codice fiscale anywhere in a text, any case, with or without separators."""
NUMERICO = r"(?-u:\b)[0-9]{11}(?-u:\b)"
"""The 11-digit codice fiscale (temporary codes, and companies)."""

TESTO_LIBERO = ("causale_annullamento", "descrizione_patologia")
"""Columns of free text: an 11-digit number in them is taken for a codice fiscale."""


IMPRONTA = "impronta_chiave_pseudonimi"
"""The row of `impostazione_registro` that holds the key's fingerprint."""


def file_chiave(settings: Settings) -> Path:
    return Path(settings.data_dir) / "chiave_pseudonimi"


def impronta(key: bytes) -> str:
    """A keyed hash of a fixed text: two keys have two fingerprints, and the fingerprint
    (stored in the register, printed in messages) tells nothing of the key."""
    return hmac.new(key, b"registro: impronta della chiave dei pseudonimi",
                    hashlib.sha256).hexdigest()[:16]


def chiave_presente(settings: Settings) -> bytes | None:
    """The key if there is one (the setting, or the file in the data folder); never makes one."""
    if settings.chiave_pseudonimi:
        return settings.chiave_pseudonimi.encode("utf-8")
    path = file_chiave(settings)
    if not path.is_file():
        return None
    return path.read_text().strip().encode("utf-8")


def _genera(settings: Settings) -> bytes:
    """A new key in the data folder (created 0600 in a 0700 folder: whoever reads it can link
    pseudonyms to codes)."""
    path = file_chiave(settings)
    riservato.cartella(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    riservato.file(path)
    return path.read_text().strip().encode("utf-8")


def impronta_del_registro(engine: Engine) -> str | None:
    """The fingerprint the register recorded, None if none yet (or a schema older than the
    table: the next migration adds it)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT valore FROM impostazione_registro WHERE nome = :n"),
                                {"n": IMPRONTA}).scalar()
    except DBAPIError:
        return None


def _registra_impronta(engine: Engine, valore: str) -> str:
    """Record the fingerprint once; a concurrent first use that won the race wins: its
    fingerprint is returned."""
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO impostazione_registro (nome, valore, registrata_il) "
                              "VALUES (:n, :v, :t)"),
                         {"n": IMPRONTA, "v": valore, "t": datetime.now().replace(microsecond=0)})
    except IntegrityError:
        pass
    registrata = impronta_del_registro(engine)
    return registrata if registrata is not None else valore


def _altra_chiave(settings: Settings, propria: str, registrata: str) -> ErroreUtente:
    fonte = ("l'impostazione chiave_pseudonimi" if settings.chiave_pseudonimi
             else str(file_chiave(settings)))
    return ErroreUtente(
        f"la chiave dei pseudonimi ({fonte}, impronta {propria}) non è quella del registro "
        f"(impronta {registrata}): lo stesso codice fiscale avrebbe due pseudonimi; usare la "
        "chiave del registro (cartella dei dati accanto al registro o impostazione data_dir)")


def verifica_chiave(settings: Settings, engine: Engine) -> None:
    """Refuse a command whose key, when it has one, is not the register's. A key that is not
    there yet is not made here: only the commands that pseudonymise need it (`chiave`)."""
    registrata = impronta_del_registro(engine)
    key = chiave_presente(settings) if registrata is not None else None
    if key is not None and registrata is not None and impronta(key) != registrata:
        raise _altra_chiave(settings, impronta(key), registrata)


def chiave(settings: Settings, engine: Engine | None = None) -> bytes:
    """The HMAC key: the setting, else a key generated once and kept in the data folder.

    With the register's engine the key is checked against the fingerprint the register
    recorded (and recorded at the first use, for a register made before the fingerprint
    existed): ingesting from another folder with another key would otherwise give the same
    codice fiscale two pseudonyms in one register, silently. A register that has a
    fingerprint never gets a new key made for it."""
    if engine is None:
        key = chiave_presente(settings)
        return key if key is not None else _genera(settings)
    registrata = impronta_del_registro(engine)
    key = chiave_presente(settings)
    if key is None:
        if registrata is not None:
            raise ErroreUtente(
                f"chiave dei pseudonimi non trovata ({file_chiave(settings)}): il registro ne "
                f"ha una (impronta {registrata}); ripristinarla dal backup della cartella dei "
                "dati o indicare la cartella giusta (impostazione data_dir)")
        key = _genera(settings)
    propria = impronta(key)
    if registrata is None:
        registrata = _registra_impronta(engine, propria)
    if propria != registrata:
        raise _altra_chiave(settings, propria, registrata)
    return key


def normalizza(valore: str) -> str:
    """The code as hashed: no spaces, dots or dashes, upper case."""
    return "".join(c for c in valore if not c.isspace() and c not in ".-").upper()


def pseudonimo(valore: str, key: bytes) -> str:
    digest = hmac.new(key, normalizza(valore).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFISSO + digest[:40]


_CF_LIBERO = CF_NEL_TESTO.replace("(?-u:\\b)", "")
_VALORE_CF = rf"^\s*(?:{_CF_LIBERO}|[0-9]{{11}})\s*$"
"""A whole value that is a codice fiscale, any spelling, or 11 digits: one regex on the raw
text (normalising every value first would cost a pass per batch)."""


def _e_codice(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(_VALORE_CF)


def _mappa(valori: pl.Series, key: bytes) -> dict[str, str]:
    """HMAC has no vectorised form: it runs once per *distinct* spelling found."""
    distinti = valori.unique().drop_nulls().to_list()
    return {v: pseudonimo(v, key) for v in distinti}


def pseudonimizza(df: pl.DataFrame, colonna: str, key: bytes) -> tuple[pl.DataFrame, int]:
    """Replace codici fiscali in `colonna` (whole values, any spelling, and the 11-digit
    form) and codice-fiscale tokens in every other text column; returns the frame and how
    many values were replaced."""
    n = 0
    if colonna in df.columns:
        codice = _e_codice(pl.col(colonna))
        trovati = df.select(pl.col(colonna)).filter(codice)
        if trovati.height:
            mappa = _mappa(trovati[colonna], key)
            df = df.with_columns(
                pl.when(codice)
                .then(pl.col(colonna).replace_strict(mappa, default=None))
                .otherwise(pl.col(colonna)).alias(colonna))
            n = trovati.height
    testo = [c for c, t in df.schema.items() if t == pl.String]
    df, m = _nel_testo(df, testo, CF_NEL_TESTO, key)
    df, k = _nel_testo(df, [c for c in testo if c in TESTO_LIBERO or c == colonna],
                       NUMERICO, key)
    return df, n + m + k


def _nel_testo(df: pl.DataFrame, colonne: list[str], regex: str,
               key: bytes) -> tuple[pl.DataFrame, int]:
    """Every token matching `regex` in `colonne` replaced by its pseudonym: the tokens are
    found once (vectorised), hashed once per distinct spelling, then replaced literally."""
    if not colonne or df.height == 0:
        return df, 0
    con = df.select(pl.any_horizontal(pl.col(c).str.contains(regex).fill_null(False)
                                      for c in colonne).alias("_cf"))["_cf"]
    if not con.any():
        return df, 0
    parti = df.filter(con).select(colonne)
    token = pl.concat([parti.select(pl.col(c).str.extract_all(regex).alias("t"))
                       for c in colonne]).explode("t")["t"].drop_nulls()
    mappa = _mappa(token, key)
    # Longest first: a spelling that contains another is replaced whole.
    vecchi = sorted(mappa, key=len, reverse=True)
    nuovi = [mappa[v] for v in vecchi]
    out = df.with_columns(pl.col(c).str.replace_many(vecchi, nuovi) for c in colonne)
    return out, int(token.len())
