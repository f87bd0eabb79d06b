"""The console's dashboard: the period's share of bookings within target by branca and by
site against the previous period, and how many items each monitoring list holds.

Internal figures for the Direzione (not published): no small-cell suppression, the counts
shown beside every share so a reader weighs a 100 % of 3 bookings for what it is. The
shares come from `reports.conferenza.tabella_conformita` (statistics defined once in
`registro.statistiche`), the bookings from the columnar mirror."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Engine

from registro import colonnare, db
from registro.periodo import Periodo
from registro.rules import deriva
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.calendario import precedente
from reports.conferenza import tabella_conformita
from reports.monitoring import LISTE
from reports.stats import nel_periodo

NON_INDICATA = "non indicata"


@dataclass
class Cruscotto:
    periodo: Periodo
    precedente: Periodo
    profilo: str
    n: int
    entro: int
    n_precedente: int
    entro_precedente: int
    per_branca: pl.DataFrame
    """branca, n, entro_standard, quota_entro_standard, n_precedente, quota_precedente,
    variazione_punti (percentage points, 1 decimal)."""
    per_sede: pl.DataFrame
    """codice_sede, sede (name), then as per_branca."""
    conteggi: dict[str, int] = field(default_factory=dict)
    """Items per monitoring list (every list of reports.monitoring.LISTE, zeros included)."""


def periodo_predefinito(prenotazioni: pl.LazyFrame) -> Periodo | None:
    """The quarter of the latest booking in the register (None for an empty register): the
    dashboard opens on the most recent data, not on a calendar quarter that has none."""
    ultimo = prenotazioni.select(pl.col("data_prenotazione").max()).collect().item()
    if ultimo is None:
        return None
    return Periodo.parse(f"{ultimo.year}-Q{(ultimo.month - 1) // 3 + 1}")


def confronto(ora: pl.LazyFrame, prima: pl.LazyFrame, per: list[str]) -> pl.DataFrame:
    """The share within target per group in the period, beside the previous period's; a
    group present only in the previous period is kept (n = 0) so nothing disappears."""
    attuale = tabella_conformita(ora, per).drop("attesa_media")
    passato = tabella_conformita(prima, per).select(
        *per, n_precedente="n", quota_precedente="quota_entro_standard")
    return (attuale.join(passato, on=per, how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("n").fill_null(0), pl.col("entro_standard").fill_null(0),
                          pl.col("n_precedente").fill_null(0))
            .with_columns(variazione_punti=((pl.col("quota_entro_standard")
                                             - pl.col("quota_precedente")) * 100).round(1))
            .sort(per, nulls_last=True))


def calcola(*, engine: Engine, settings: Settings, lista: pl.DataFrame,
            periodo: Periodo | None = None) -> Cruscotto | None:
    """The dashboard for `periodo` (default: `periodo_predefinito`); `lista`: the monitoring
    list as of today (`reports.monitoring.calcola_lista`), counted per list. None when the
    register holds no booking and no period was asked for."""

    prenotazioni = colonnare.prenotazioni(engine, settings)
    periodo = periodo or periodo_predefinito(prenotazioni)
    if periodo is None:
        return None
    prima = precedente(periodo)
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    catalogo = db.read_frame(engine, "SELECT codice AS codice_prestazione, branca "
                                     "FROM prestazione",
                             {"codice_prestazione": pl.String(), "branca": pl.String()})
    sedi = db.read_frame(engine, "SELECT codice AS codice_sede, nome AS sede FROM sede",
                         {"codice_sede": pl.String(), "sede": pl.String()})

    def righe(p: Periodo) -> pl.LazyFrame:
        return (deriva(prenotazioni.filter(nel_periodo("ex_ante", p)), profilo)
                .filter(pl.col("in_garanzia"))
                .join(catalogo.lazy(), on="codice_prestazione", how="left")
                .with_columns(pl.col("branca").fill_null(NON_INDICATA)))

    ora, passato = righe(periodo).collect().lazy(), righe(prima).collect().lazy()
    totale = tabella_conformita(ora.with_columns(t=pl.lit(1)), ["t"])
    totale_prima = tabella_conformita(passato.with_columns(t=pl.lit(1)), ["t"])
    per_sede = confronto(ora, passato, ["codice_sede"]).join(
        sedi, on="codice_sede", how="left", maintain_order="left")
    conteggi = dict.fromkeys(LISTE, 0)
    for nome, n in lista.group_by("lista").len().iter_rows():
        conteggi[nome] = int(n)
    # out of order is a rule of both registers: bookings (§5.1) and admissions (§4.3)
    for nome, registro, n in lista.group_by("lista", "registro").len().iter_rows():
        conteggi[f"{nome}/{registro}"] = int(n)
    return Cruscotto(
        periodo=periodo, precedente=prima, profilo=profilo.nome,
        n=int(totale["n"].sum()), entro=int(totale["entro_standard"].sum()),
        n_precedente=int(totale_prima["n"].sum()),
        entro_precedente=int(totale_prima["entro_standard"].sum()),
        per_branca=confronto(ora, passato, ["branca"]),
        per_sede=per_sede.select("codice_sede", "sede", *[c for c in per_sede.columns
                                                          if c not in ("codice_sede", "sede")]),
        conteggi=conteggi)
