"""What may be published: small-cell suppression and the compliance bands, as named constants.

A cell (prestazione × sede, reparto × patologia × classe, a month of a service's trend) whose
count is below the publication threshold (setting `soglia_pubblicazione`, default 5) is
published as "dati insufficienti": its numbers are emptied, never rounded or hidden by CSS,
and a `soppresso` flag says why they are empty.

Compliance bands, as the Italian regional waiting-time sites have them, on the share of
bookings in guarantee waiting no longer than the target: ≥ 90 % "in linea", 60–89 %
"parzialmente in linea", < 60 % "critico".
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DATI_INSUFFICIENTI = "dati insufficienti"

SOGLIA_IN_LINEA = 0.9
SOGLIA_PARZIALE = 0.6


@dataclass(frozen=True)
class Conformita:
    classe: str
    """CSS modifier: in-linea, parziale, critico, nd."""
    etichetta: str


IN_LINEA = Conformita("in-linea", "in linea con lo standard")
PARZIALE = Conformita("parziale", "parzialmente in linea")
CRITICO = Conformita("critico", "critico")
NON_VALUTABILE = Conformita("nd", "non valutabile")


def conformita(quota: float | None, soppresso: bool = False) -> Conformita:
    """The band of a share within target (0–1); suppressed or missing shares have none."""
    if soppresso or quota is None:
        return NON_VALUTABILE
    if quota >= SOGLIA_IN_LINEA:
        return IN_LINEA
    if quota >= SOGLIA_PARZIALE:
        return PARZIALE
    return CRITICO


def sopprimi(df: pl.DataFrame, *, soglia: int, conteggio: str, colonne: list[str],
             flag: str = "soppresso", zero_pubblicabile: bool = False) -> pl.DataFrame:
    """Add `flag` (count below `soglia`) and empty the count and `colonne` where it is set.

    With `zero_pubblicabile` a count of zero is published (nobody is disclosed by it: a
    waiting list that is empty)."""
    valore = pl.col(conteggio).fill_null(0)
    soppresso = (valore < soglia) & ((valore > 0) if zero_pubblicabile else pl.lit(True))
    return df.with_columns(soppresso.alias(flag)).with_columns(
        pl.when(~pl.col(flag)).then(pl.col(c)).alias(c) for c in [conteggio, *colonne])


def sopprimi_conteggio(df: pl.DataFrame, *, soglia: int, colonne: list[str]) -> pl.DataFrame:
    """Empty counts that are small but not zero (1 … soglia − 1): zero discloses nobody."""
    return df.with_columns(
        pl.when((pl.col(c) == 0) | (pl.col(c) >= soglia)).then(pl.col(c)).alias(c)
        for c in colonne)
