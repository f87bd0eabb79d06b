"""The monitoring list as the console pages it: filters from the URL, a keyset cursor on the
list's own sort key (`?dopo=`, never an OFFSET: a page boundary stays put when items before
it are recorded and leave), and the CSV export streamed in slices.

The list itself is `reports.monitoring.calcola_lista`; these functions only filter, order
and cut it, as pure frame → frame steps."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from registro.csvsafe import neutralizza
from registro.errors import ErroreUtente
from reports.monitoring import COLONNE, LISTE, urgenza

CHIAVE = ["_rango", "_urgenza", "_distanza", "id", "registro", "_termine"]
"""The sort key, every part ascending and never null — the order of `calcola_lista`, most
urgent first: list in LISTE order, the class's urgency (reports.monitoring.urgenza), how far
past (or near) the threshold descending (stored negated), id, register, term (or
site/pathology)."""

PER_PAGINA = 50


@dataclass(frozen=True)
class Filtri:
    lista: str | None = None
    registro: str | None = None
    sede_o_reparto: str | None = None
    classe: str | None = None
    includi_motivati: bool = False

    def come_query(self) -> dict[str, str]:
        """The filters as URL parameters (empty ones left out): bookmarkable."""
        q = {"lista": self.lista, "registro": self.registro,
             "sede_o_reparto": self.sede_o_reparto, "classe": self.classe,
             "includi_motivati": "1" if self.includi_motivati else None}
        return {k: v for k, v in q.items() if v}


def con_chiave(lista: pl.DataFrame) -> pl.DataFrame:
    """The list ordered by CHIAVE, the key's columns added."""
    distanza = (pl.when(pl.col("soglia").is_null()).then(pl.col("giorni"))
                .otherwise(pl.col("giorni") - pl.col("soglia")))
    return lista.with_columns(
        _rango=pl.col("lista").replace_strict(LISTE, list(range(len(LISTE))),
                                              return_dtype=pl.Int64),
        _urgenza=urgenza(),
        _distanza=(-distanza).fill_null(0).cast(pl.Int64),
        _termine=pl.col("codice_sede_o_patologia").fill_null(""),
    ).sort(CHIAVE)


def filtra(lista: pl.DataFrame, f: Filtri) -> pl.DataFrame:
    if f.lista:
        if f.lista not in LISTE:
            raise ErroreUtente(f"lista sconosciuta: {f.lista!r}")
        lista = lista.filter(pl.col("lista") == f.lista)
    if f.registro:
        lista = lista.filter(pl.col("registro") == f.registro)
    if f.sede_o_reparto:
        codice = f.sede_o_reparto.strip()
        lista = lista.filter(
            ((pl.col("registro") == "prestazioni")
             & (pl.col("codice_sede_o_patologia") == codice))
            | ((pl.col("registro") == "ricoveri")
               & (pl.col("codice_reparto_o_prestazione") == codice)))
    if f.classe:
        lista = lista.filter(pl.col("classe_priorita") == f.classe)
    return lista


def cursore(riga: dict[str, Any]) -> str:
    valori = [riga[c] for c in CHIAVE]
    return base64.urlsafe_b64encode(json.dumps(valori).encode()).decode().rstrip("=")


def _decodifica(testo: str) -> list[Any]:
    try:
        valori = json.loads(base64.urlsafe_b64decode(testo + "=" * (-len(testo) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ErroreUtente("cursore di pagina non valido") from exc
    if not (isinstance(valori, list) and len(valori) == len(CHIAVE)
            and all(isinstance(v, int) for v in valori[:3])
            and all(isinstance(v, str) for v in valori[3:])):
        raise ErroreUtente("cursore di pagina non valido")
    return valori


def _dopo(valori: list[Any]) -> pl.Expr:
    """Rows whose key is strictly after `valori`, lexicographically."""
    espressione: pl.Expr | None = None
    for colonna, valore in reversed(list(zip(CHIAVE, valori, strict=True))):
        maggiore = pl.col(colonna) > pl.lit(valore)
        espressione = maggiore if espressione is None else (
            maggiore | ((pl.col(colonna) == pl.lit(valore)) & espressione))
    assert espressione is not None
    return espressione


def pagina(ordinata: pl.DataFrame, *, dopo: str | None, per_pagina: int = PER_PAGINA
           ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a list already ordered by `con_chiave`: the rows after the cursor `dopo`,
    and the cursor of the next page (None on the last)."""
    resto = ordinata.filter(_dopo(_decodifica(dopo))) if dopo else ordinata
    righe = resto.head(per_pagina + 1).to_dicts()
    prossimo = cursore(righe[per_pagina - 1]) if len(righe) > per_pagina else None
    return righe[:per_pagina], prossimo


def csv_a_pezzi(lista: pl.DataFrame, righe_per_pezzo: int = 10_000) -> Iterator[bytes]:
    """The list as CSV (COLONNE, formulas neutralised, UTF-8), slice by slice: the response
    starts at once and never holds the whole text."""
    tabella = neutralizza(lista.select(COLONNE))
    for inizio in range(0, max(tabella.height, 1), righe_per_pezzo):
        buf = io.BytesIO()
        tabella.slice(inizio, righe_per_pezzo).write_csv(buf, include_header=inizio == 0)
        yield buf.getvalue()
