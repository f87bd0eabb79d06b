"""Column mappings: every CUP vendor has its own headers and values.

    [colonne]            # canonical name = source column
    id_prenotazione = "AppointmentID"
    [valori.stato]       # source value = canonical value
    "Yes" = "non_presentato"
    [costanti]           # canonical columns the source lacks
    codice_prestazione = "89.7"

Source columns that no mapping names are dropped on arrival: they may hold personal data
(age, sex, names) that the register must not keep.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cup.readers import RIGA
from registro.errors import ErroreUtente
from registro.formato import intero

MAPPING_MAX_CARATTERI = 1_000_000
"""A mapping is a few dozen lines; anything this long is not one."""

_SCALARI = (str, int, float, bool)


def _tabella(path: Path, data: dict[str, Any], chiave: str, forma: str,
             nome: str | None = None) -> dict[str, str]:
    """`data[chiave]` as a table of text values, or one clear message naming the section:
    a wrong type in a hand-written TOML (`colonne = "id"`, `[valori] stato = 1`) once
    crashed with a traceback."""
    nome = nome or chiave
    valore = data.get(chiave, {})
    if not isinstance(valore, dict):
        raise ErroreUtente(f"{path}: [{nome}] deve essere una tabella di righe {forma}, "
                           f"non {_tipo(valore)}")
    errate = [k for k, v in valore.items() if not isinstance(v, _SCALARI)]
    if errate:
        raise ErroreUtente(f"{path}: in [{nome}] ogni riga deve essere {forma}; non lo è: "
                           f"{', '.join(sorted(errate)[:10])}")
    return {str(k): str(v) for k, v in valore.items()}


def _tipo(valore: object) -> str:
    return {str: "un testo", int: "un numero", float: "un numero", bool: "un booleano",
            list: "un elenco"}.get(type(valore), "un valore di altro tipo")


@dataclass(frozen=True)
class Mapping:
    colonne: dict[str, str] = field(default_factory=dict)
    valori: dict[str, dict[str, str]] = field(default_factory=dict)
    costanti: dict[str, str] = field(default_factory=dict)

    @classmethod
    def carica(cls, path: Path, canoniche: tuple[str, ...]) -> Mapping:
        try:
            testo = Path(path).read_text(encoding="utf-8")
            if len(testo) > MAPPING_MAX_CARATTERI:
                raise ErroreUtente(f"{path}: mapping troppo lungo (oltre "
                                   f"{intero(MAPPING_MAX_CARATTERI)} caratteri): "
                                   "è davvero un mapping?")
            data = tomllib.loads(testo)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError,
                ValueError) as exc:
            # RecursionError: tomllib recurses on nested arrays and inline tables, and a
            # crafted file nests deeper than the interpreter allows.
            motivo = ("annidamento troppo profondo" if isinstance(exc, RecursionError)
                      else str(exc))
            raise ErroreUtente(f"{path}: mapping illeggibile: {motivo}") from exc
        ignote = set(data) - {"colonne", "valori", "costanti"}
        if ignote:
            raise ErroreUtente(f"{path}: sezioni sconosciute nel mapping: {', '.join(ignote)}")
        colonne = _tabella(path, data, "colonne", 'nome_canonico = "colonna del file"')
        costanti = _tabella(path, data, "costanti", 'nome_canonico = "valore"')
        valori_raw = data.get("valori", {})
        if not isinstance(valori_raw, dict):
            raise ErroreUtente(f"{path}: [valori] deve essere una tabella di tabelle, una per "
                               'colonna: [valori.stato] con righe "valore del file" = '
                               '"valore canonico"')
        valori = {k: _tabella(path, valori_raw, k, '"valore del file" = "valore canonico"',
                              f"valori.{k}") for k in valori_raw}
        m = cls(colonne=colonne, valori=valori, costanti=costanti)
        for sezione in (m.colonne, m.valori, m.costanti):
            estranee = set(sezione) - set(canoniche)
            if estranee:
                raise ErroreUtente(f"{path}: colonne non canoniche nel mapping: "
                                   f"{', '.join(sorted(estranee))}")
        return m

    def applica(self, raw: pl.DataFrame, canoniche: tuple[str, ...], file: Path) -> pl.DataFrame:
        """The canonical columns present (after renaming, values, constants), plus `_riga`."""
        mancanti = [src for src in self.colonne.values() if src not in raw.columns]
        if mancanti:
            raise ErroreUtente(f"{file}: colonne indicate nel mapping ma assenti nel file: "
                               f"{', '.join(mancanti)}; nessun dato è stato scritto")
        exprs = [pl.col(RIGA)]
        for nome in canoniche:
            if nome in self.costanti:
                expr = pl.lit(self.costanti[nome], dtype=pl.String)
            elif nome in self.colonne:
                expr = pl.col(self.colonne[nome])
            elif nome in raw.columns:
                expr = pl.col(nome)
            else:
                continue
            if nome in self.valori:
                expr = expr.replace(self.valori[nome])
            exprs.append(expr.alias(nome))
        return raw.select(exprs)
