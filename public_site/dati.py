"""The published tables of the public site: read the registers once, aggregate, suppress.

Everything the site shows comes from here, and only aggregates leave this module: the
waiting-time table of `reports.stats.tabella_prestazioni` (ex ante reading, the active
profile) and of `reports.stats_ricoveri.tabella_ricoveri`, a monthly trend per service with
the same definitions, joined to the catalog, site and ward names, with small cells emptied
(`registro.soppressione`). Pure polars; the database is read by `leggi`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine

from registro import colonnare, db, statistiche
from registro.letture import leggi_ricoveri
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.rules import deriva
from registro.settings import Settings
from registro.soppressione import sopprimi, sopprimi_conteggio
from registro.standards import Profilo
from reports.stats import COLONNE_LETTE, tabella_prestazioni
from reports.stats_ricoveri import tabella_ricoveri

SCHEMA_CATALOGO: dict[str, pl.DataType] = {
    "codice": pl.String(), "descrizione": pl.String(), "tipo": pl.String(),
    "branca": pl.String(), "tariffa_cent": pl.Int64()}
SCHEMA_SEDI: dict[str, pl.DataType] = {
    "codice": pl.String(), "nome": pl.String(), "comune": pl.String(),
    "indirizzo": pl.String()}
SCHEMA_REPARTI: dict[str, pl.DataType] = {
    "codice": pl.String(), "nome": pl.String(), "presidio": pl.String()}
SCHEMA_PATOLOGIE: dict[str, pl.DataType] = {
    "codice_patologia": pl.String(), "descrizione_patologia": pl.String()}

STATISTICHE = ["attesa_media", "attesa_mediana", "attesa_p90", "quota_entro_standard"]

COLONNE_PRESTAZIONI = [
    "periodo", "codice_prestazione", "descrizione", "branca", "tipo", "codice_sede",
    "nome_sede", "classe_priorita", "soppresso", "n", "attesa_media", "attesa_mediana",
    "attesa_p90", "standard_giorni", "quota_entro_standard", "n_fuori_garanzia"]

COLONNE_ANDAMENTO = ["mese", "codice_prestazione", "soppresso", "n", "attesa_mediana",
                     "standard_giorni", "quota_entro_standard"]

COLONNE_RICOVERI = [
    "periodo", "codice_reparto", "nome_reparto", "codice_patologia", "descrizione_patologia",
    "classe_priorita", "soppresso", "n", "attesa_media", "attesa_mediana", "attesa_p90",
    "standard_giorni", "quota_entro_standard", "fuori_ordine", "soppresso_lista", "in_attesa",
    "attesa_massima_in_corso"]

COLONNE_CATALOGO = ["codice", "descrizione", "tipo", "branca", "tariffa_euro", "ticket_euro",
                    "quota_fissa_ricetta_euro"]

COLONNE_REGISTRO = [
    "periodo", "codice_prestazione", "descrizione", "branca", "tipo", "codice_sede",
    "nome_sede", "classe_priorita", "prenotazioni_nel_periodo", "soppresso", "n",
    "attesa_media", "attesa_mediana", "attesa_p90", "standard_giorni", "quota_entro_standard",
    "tariffa_cent"]
"""The register as Carta §5.1 lists it: every service of the catalog at every site that
delivers it (a site with bookings of it in the register, in any period), with or without
bookings in the period; a service no site delivers has one row without a site. The amounts
the citizen pays are derived from `tariffa_cent` where the settings are known (pages, open
data)."""


@dataclass(frozen=True)
class Registri:
    """What is read from the database: the two lists and the registries of names."""

    prenotazioni: pl.DataFrame
    ricoveri: pl.DataFrame
    catalogo: pl.DataFrame
    sedi: pl.DataFrame
    reparti: pl.DataFrame
    patologie: pl.DataFrame


@dataclass(frozen=True)
class Pubblicazione:
    """The published tables (aggregates only, small cells already emptied)."""

    periodo: Periodo
    data_dati: date | None
    prestazioni: pl.DataFrame
    andamento: pl.DataFrame
    ricoveri: pl.DataFrame
    catalogo: pl.DataFrame
    sedi: pl.DataFrame
    reparti: pl.DataFrame
    registro: pl.DataFrame
    """`COLONNE_REGISTRO`: the Carta §5.1 register, service by site."""


def leggi(engine: Engine, settings: Settings) -> Registri:
    return Registri(
        # what the waiting-time tables read (reports.stats), the codes dictionary-coded:
        # text again only in the aggregates (at 5 M bookings 1.5 GB at peak instead of 2.8)
        prenotazioni=colonnare.prenotazioni(engine, settings, colonne=COLONNE_LETTE,
                                            codici_categorici=True).collect(),
        ricoveri=leggi_ricoveri(engine),
        catalogo=db.read_frame(
            engine, "SELECT codice, descrizione, tipo, branca, tariffa_cent FROM prestazione",
            SCHEMA_CATALOGO).sort("codice"),
        sedi=db.read_frame(engine, "SELECT codice, nome, comune, indirizzo FROM sede",
                           SCHEMA_SEDI).sort("codice"),
        reparti=db.read_frame(engine, "SELECT codice, nome, presidio FROM reparto",
                              SCHEMA_REPARTI).sort("codice"),
        patologie=db.read_frame(
            engine, "SELECT codice_patologia, MAX(descrizione_patologia) AS "
                    "descrizione_patologia FROM ricovero GROUP BY codice_patologia",
            SCHEMA_PATOLOGIE),
    )


def periodo_predefinito(prenotazioni: pl.DataFrame, oggi: date) -> Periodo:
    """The last complete calendar year with bookings; else the year of the latest booking;
    else (an empty register) the year before `oggi`."""
    anni = (prenotazioni.select(pl.col("data_prenotazione").dt.year().unique().drop_nulls())
            .to_series().to_list())
    completi = [a for a in anni if a < oggi.year]
    if completi:
        return Periodo.parse(str(max(completi)))
    return Periodo.parse(str(max(anni) if anni else oggi.year - 1))


def data_dei_dati(reg: Registri) -> date | None:
    """The latest date any record of the registers refers to: the data are "as of" it."""
    date_: list[date] = []
    for df, colonne in ((reg.prenotazioni, ["data_prenotazione"]),
                        (reg.ricoveri, ["data_inserimento", "data_ricovero",
                                        "data_cancellazione"])):
        for c in colonne:
            valore = df.select(pl.col(c).max()).item()
            if valore is not None:
                date_.append(valore.date())
    return max(date_) if date_ else None


def andamento_mensile(lf: pl.LazyFrame, *, profilo: Profilo, periodo: Periodo) -> pl.LazyFrame:
    """Per service and month of booking in the period, over all its sites (and classes):
    n, median wait and share within target, with the definitions of reports.stats."""
    giorno = pl.col("data_prenotazione").cast(pl.Date)
    righe = deriva(lf.filter(giorno.is_between(pl.lit(periodo.inizio), pl.lit(periodo.fine),
                                               closed="left")), profilo
                   ).filter(pl.col("in_garanzia"))
    conta = pl.len().cast(pl.Int64)
    return (
        righe.with_columns(mese=giorno.dt.strftime("%Y-%m"))
        .group_by("codice_prestazione", "mese")
        .agg(n=conta,
             attesa_mediana=statistiche.mediana(pl.col("attesa_giorni")),
             standard_giorni=pl.when(pl.col("standard_giorni").n_unique() == 1)
             .then(pl.col("standard_giorni").first()).cast(pl.Int64),
             entro=(pl.col("attesa_giorni") <= pl.col("standard_giorni")).sum().cast(pl.Int64))
        .select("mese", "codice_prestazione", "n",
                "attesa_mediana", "standard_giorni",
                statistiche.quota(pl.col("entro"), pl.col("n")).alias("quota_entro_standard"))
        .with_columns(pl.col("codice_prestazione").cast(pl.String))
        .sort("codice_prestazione", "mese")
    )


def registro_prestazioni(reg: Registri, prestazioni: pl.DataFrame,
                         sedi: pl.DataFrame, periodo: Periodo) -> pl.DataFrame:
    """Every service of the catalog by the sites that deliver it, joined to the published
    rows of the period (`prestazioni`, already suppressed); a pair without bookings in the
    period has `prenotazioni_nel_periodo` false, `n` 0 and no statistics."""
    erogate = reg.prenotazioni.select(
        pl.col("codice_prestazione", "codice_sede").cast(pl.String)).unique()
    coppie = reg.catalogo.select(
        pl.col("codice").alias("codice_prestazione"), "descrizione", "branca", "tipo",
        "tariffa_cent",
    ).join(erogate, on="codice_prestazione", how="left")
    del_periodo = prestazioni.select(
        "codice_prestazione", "codice_sede", "classe_priorita", "soppresso", "n",
        *STATISTICHE, "standard_giorni",
    ).unique(maintain_order=True).with_columns(prenotazioni_nel_periodo=pl.lit(True))
    nel = pl.col("prenotazioni_nel_periodo").fill_null(False)
    return (
        coppie.join(del_periodo, on=["codice_prestazione", "codice_sede"], how="left")
        .join(sedi, on="codice_sede", how="left")
        .with_columns(
            periodo=pl.lit(periodo.etichetta), prenotazioni_nel_periodo=nel,
            soppresso=pl.col("soppresso").fill_null(False),
            n=pl.when(nel).then(pl.col("n")).otherwise(pl.lit(0, dtype=pl.Int64)),
            nome_sede=pl.col("nome_sede").fill_null(pl.col("codice_sede")))
        .sort("codice_prestazione", "codice_sede", "classe_priorita", nulls_last=True)
        .select(COLONNE_REGISTRO)
    )


def pubblica(reg: Registri, *, profilo: Profilo, periodo: Periodo,
             soglia: int) -> Pubblicazione:
    """The published tables of one period under one profile, small cells emptied."""
    lf = reg.prenotazioni.lazy()
    tab = tabella_prestazioni(lf, profilo=profilo, periodo=periodo, lettura="ex_ante")
    catalogo = reg.catalogo.select(
        pl.col("codice").alias("codice_prestazione"), "descrizione", "branca", "tipo")
    sedi = reg.sedi.select(pl.col("codice").alias("codice_sede"),
                           pl.col("nome").alias("nome_sede"))
    prestazioni = sopprimi_conteggio(
        sopprimi(tab, soglia=soglia, conteggio="n", colonne=STATISTICHE),
        soglia=soglia, colonne=["n_fuori_garanzia"],
    ).join(catalogo, on="codice_prestazione", how="left", maintain_order="left").join(
        sedi, on="codice_sede", how="left", maintain_order="left",
    ).with_columns(pl.col("nome_sede").fill_null(pl.col("codice_sede"))
                   ).select(COLONNE_PRESTAZIONI)

    andamento = sopprimi(
        andamento_mensile(lf, profilo=profilo, periodo=periodo).collect(),
        soglia=soglia, conteggio="n", colonne=["attesa_mediana", "quota_entro_standard"],
    ).select(COLONNE_ANDAMENTO)

    lista = reg.ricoveri.lazy()
    ric = tabella_ricoveri(lista, profilo=profilo, periodo=periodo,
                           fuori_ordine=fuori_ordine(lista))
    ric = sopprimi(ric, soglia=soglia, conteggio="n", colonne=[*STATISTICHE, "fuori_ordine"])
    ric = sopprimi(ric, soglia=soglia, conteggio="in_attesa",
                   colonne=["attesa_massima_in_corso"], flag="soppresso_lista",
                   zero_pubblicabile=True)
    reparti_noti = reg.reparti.select(pl.col("codice").alias("codice_reparto"),
                                      pl.col("nome").alias("nome_reparto"))
    ricoveri = ric.join(reparti_noti, on="codice_reparto", how="left", maintain_order="left"
                        ).join(reg.patologie, on="codice_patologia", how="left",
                               maintain_order="left"
                        ).with_columns(pl.col("nome_reparto").fill_null(pl.col("codice_reparto"))
                                       ).select(COLONNE_RICOVERI)

    # every ward of the registry, and any ward of the list the registry does not know yet
    reparti = pl.concat([
        reg.reparti,
        ric.select(pl.col("codice_reparto").alias("codice")).unique()
        .join(reg.reparti, on="codice", how="anti")
        .with_columns(nome=pl.col("codice"), presidio=pl.lit(None, dtype=pl.String)),
    ]).sort("codice")
    sedi_tutte = pl.concat([
        reg.sedi,
        tab.select(pl.col("codice_sede").alias("codice")).unique()
        .join(reg.sedi, on="codice", how="anti")
        .with_columns(nome=pl.col("codice"), comune=pl.lit(None, dtype=pl.String),
                      indirizzo=pl.lit(None, dtype=pl.String)),
    ]).sort("codice")
    return Pubblicazione(periodo=periodo, data_dati=data_dei_dati(reg),
                         prestazioni=prestazioni, andamento=andamento, ricoveri=ricoveri,
                         catalogo=reg.catalogo, sedi=sedi_tutte, reparti=reparti,
                         registro=registro_prestazioni(reg, prestazioni, sedi, periodo))
