"""The console's dashboard: the period's share of bookings within target by branca and by
site against the previous period, the monthly trend of the last twelve months, the ten
services furthest from their target, and how many items each monitoring list holds.

Internal figures for the Direzione (not published): no small-cell suppression, the counts
shown beside every share so a reader weighs a 100 % of 3 bookings for what it is. The
shares come from `reports.conferenza.tabella_conformita` (statistics defined once in
`registro.statistiche`), the bookings from the columnar mirror."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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
from reports.stats import COLONNE_LETTE, nel_periodo

NON_INDICATA = "non indicata"
MESI_ANDAMENTO = 12
PEGGIORI = 10


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
    andamento: pl.DataFrame = field(default_factory=pl.DataFrame)
    """mese ('AAAA-MM', the MESI_ANDAMENTO months ending with the period's last, every month
    present), n, entro_standard, quota_entro_standard (null where n = 0)."""
    peggiori: pl.DataFrame = field(default_factory=pl.DataFrame)
    """The PEGGIORI services with the lowest share in the period among those with at least
    `minimo_peggiori` bookings in guarantee: codice_prestazione, descrizione, n,
    entro_standard, quota_entro_standard (lowest first; then more bookings, then code)."""
    minimo_peggiori: int = 0
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


def conteggi(lista: pl.DataFrame) -> dict[str, int]:
    """Items per monitoring list, and per list and register ('lista/registro')."""
    out = dict.fromkeys(LISTE, 0)
    for nome, n in lista.group_by("lista").len().iter_rows():
        out[nome] = int(n)
    # out of order is a rule of both registers: bookings (§5.1) and admissions (§4.3)
    for nome, registro, n in lista.group_by("lista", "registro").len().iter_rows():
        out[f"{nome}/{registro}"] = int(n)
    return out


def mesi_andamento(periodo: Periodo) -> list[str]:
    """The MESI_ANDAMENTO months ('AAAA-MM') ending with the period's last month."""
    ultimo = periodo.fine.year * 12 + periodo.fine.month - 2  # 0-based index of the last
    return [f"{i // 12:04d}-{i % 12 + 1:02d}"
            for i in range(ultimo - MESI_ANDAMENTO + 1, ultimo + 1)]


def andamento(righe: pl.LazyFrame, mesi: list[str]) -> pl.DataFrame:
    """The share within target per month of booking, every month in `mesi` present."""
    per_mese = tabella_conformita(
        righe.with_columns(mese=pl.col("data_prenotazione").dt.strftime("%Y-%m")), ["mese"])
    return (pl.DataFrame({"mese": mesi})
            .join(per_mese.drop("attesa_media"), on="mese", how="left", maintain_order="left")
            .with_columns(pl.col("n").fill_null(0), pl.col("entro_standard").fill_null(0)))


def peggiori(righe: pl.LazyFrame, catalogo: pl.DataFrame, minimo: int) -> pl.DataFrame:
    """The PEGGIORI services furthest from their target (see `Cruscotto.peggiori`)."""
    return (tabella_conformita(righe, ["codice_prestazione"]).drop("attesa_media")
            .filter(pl.col("n") >= minimo)
            .sort(["quota_entro_standard", "n", "codice_prestazione"],
                  descending=[False, True, False])
            .head(PEGGIORI)
            .join(catalogo.select("codice_prestazione", "descrizione"),
                  on="codice_prestazione", how="left", maintain_order="left")
            .select("codice_prestazione", "descrizione", "n", "entro_standard",
                    "quota_entro_standard"))


def calcola(*, engine: Engine, settings: Settings, lista: pl.DataFrame,
            periodo: Periodo | None = None) -> Cruscotto | None:
    """The dashboard for `periodo` (default: `periodo_predefinito`); `lista`: the monitoring
    list as of today (`reports.monitoring.calcola_lista`), counted per list. None when the
    register holds no booking and no period was asked for."""

    prenotazioni = colonnare.prenotazioni(engine, settings, colonne=COLONNE_LETTE)
    periodo = periodo or periodo_predefinito(prenotazioni)
    if periodo is None:
        return None
    prima = precedente(periodo)
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    catalogo = db.read_frame(engine, "SELECT codice AS codice_prestazione, descrizione, "
                                     "branca FROM prestazione",
                             {"codice_prestazione": pl.String(), "descrizione": pl.String(),
                              "branca": pl.String()})
    sedi = db.read_frame(engine, "SELECT codice AS codice_sede, nome AS sede FROM sede",
                         {"codice_sede": pl.String(), "sede": pl.String()})

    mesi = mesi_andamento(periodo)
    inizio = min(prima.inizio, date(int(mesi[0][:4]), int(mesi[0][5:]), 1))
    # the bookings in guarantee of every month shown, derived once, then cut three ways
    tutte = (deriva(prenotazioni.filter(nel_periodo("ex_ante", Periodo(
                 etichetta="cruscotto", inizio=inizio, fine=periodo.fine))), profilo)
             .filter(pl.col("in_garanzia"))
             .join(catalogo.lazy().select("codice_prestazione", "branca"),
                   on="codice_prestazione", how="left")
             .with_columns(pl.col("branca").fill_null(NON_INDICATA))
             .collect().lazy())
    ora = tutte.filter(nel_periodo("ex_ante", periodo)).collect().lazy()
    passato = tutte.filter(nel_periodo("ex_ante", prima)).collect().lazy()
    totale = tabella_conformita(ora.with_columns(t=pl.lit(1)), ["t"])
    totale_prima = tabella_conformita(passato.with_columns(t=pl.lit(1)), ["t"])
    per_sede = confronto(ora, passato, ["codice_sede"]).join(
        sedi, on="codice_sede", how="left", maintain_order="left")
    return Cruscotto(
        periodo=periodo, precedente=prima, profilo=profilo.nome,
        n=int(totale["n"].sum()), entro=int(totale["entro_standard"].sum()),
        n_precedente=int(totale_prima["n"].sum()),
        entro_precedente=int(totale_prima["entro_standard"].sum()),
        per_branca=confronto(ora, passato, ["branca"]),
        per_sede=per_sede.select("codice_sede", "sede", *[c for c in per_sede.columns
                                                          if c not in ("codice_sede", "sede")]),
        andamento=andamento(tutte, mesi),
        peggiori=peggiori(ora, catalogo, settings.soglia_pubblicazione),
        minimo_peggiori=settings.soglia_pubblicazione,
        conteggi=conteggi(lista))
