"""`registro report direzione`: the Direttore Sanitario's monthly monitoring pack.

As of a reference day `al` (default today), for the month containing it:
- `lista_monitoraggio.csv`: the monitoring list (reports.monitoring, motivated items left out);
- `superamenti_per_unita.csv`: breaches by unit — prestazione × sede for the bookings,
  reparto for the planned admissions — with how many are still without a motivazione;
- `sanzioni_per_sede.csv`: bonum, malum and refunds issued in the month up to `al`, live
  ones, by site: count and euro (exact, from integer cents).
A person reads these: the names stand beside the codes (the service's description or the
ward's name, the site's name), in columns after the existing ones, which the operators'
scripts read and which stay as they were.
Internal to the Direzione Sanitaria: ids of bookings appear in the list (pseudonymous), as in
`registro monitoring`; nothing personal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from registro import db
from registro.csvsafe import scrivi_csv
from registro.periodo import Periodo
from registro.settings import Settings
from reports.monitoring import LISTE, liste_una_per_volta, scrivi_liste

COLONNE_UNITA = ["registro", "unita", "codice_sede", "superamenti", "senza_motivazione"]
NOMI_UNITA = ["nome_unita", "nome_sede"]


def periodo_di(al: date) -> Periodo:
    return Periodo.parse(f"{al.year}-{al.month:02d}")


def superamenti_per_unita(lista: pl.DataFrame) -> pl.DataFrame:
    sup = lista.filter(pl.col("lista") == "superamento_senza_motivazione").with_columns(
        unita=pl.col("codice_reparto_o_prestazione"),
        codice_sede=pl.when(pl.col("registro") == "prestazioni")
        .then(pl.col("codice_sede_o_patologia")))
    return (sup.group_by("registro", "unita", "codice_sede")
            .agg(superamenti=pl.len().cast(pl.Int64),
                 senza_motivazione=(~pl.col("motivato")).sum().cast(pl.Int64))
            .sort(["registro", "senza_motivazione", "unita", "codice_sede"],
                  descending=[False, True, False, False], nulls_last=True)
            .select(COLONNE_UNITA))


def nomi_unita(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(registro, unita, nome_unita) for services and wards; (codice_sede, nome_sede)."""
    testo = {"codice": pl.String(), "nome": pl.String()}
    prestazioni = db.read_frame(engine, "SELECT codice, descrizione AS nome FROM prestazione",
                                testo).with_columns(registro=pl.lit("prestazioni"))
    reparti = db.read_frame(engine, "SELECT codice, nome FROM reparto", testo
                            ).with_columns(registro=pl.lit("ricoveri"))
    unita = pl.concat([prestazioni, reparti]).select(
        "registro", unita="codice", nome_unita="nome")
    sedi = db.read_frame(engine, "SELECT codice, nome FROM sede", testo).select(
        codice_sede="codice", nome_sede="nome")
    return unita, sedi


def con_nomi(unita_df: pl.DataFrame, engine: Engine) -> pl.DataFrame:
    """`superamenti_per_unita` with NOMI_UNITA after its columns."""
    unita, sedi = nomi_unita(engine)
    return (unita_df.join(unita, on=["registro", "unita"], how="left", maintain_order="left")
            .join(sedi, on="codice_sede", how="left", maintain_order="left")
            .select(*COLONNE_UNITA, *NOMI_UNITA))


def sanzioni_per_sede(engine: Engine, inizio: date, fine: date) -> pl.DataFrame:
    """Live records issued in [inizio, fine), by site and kind."""
    df = db.read_frame(
        engine,
        "SELECT p.codice_sede, s.tipo, s.importo_cent, s.data_emissione FROM sanzione s "
        "JOIN prenotazione p ON p.id_prenotazione = s.id_prenotazione "
        "WHERE s.stato <> 'annullato'",
        {"codice_sede": pl.String(), "tipo": pl.String(), "importo_cent": pl.Int64(),
         "data_emissione": pl.Date()})
    agg = (df.filter(pl.col("data_emissione").is_between(pl.lit(inizio), pl.lit(fine),
                                                         closed="left"))
           .group_by("codice_sede", "tipo")
           .agg(numero=pl.len().cast(pl.Int64), cent=pl.col("importo_cent").sum())
           .sort("codice_sede", "tipo"))
    euro = ((pl.col("cent") // 100).cast(pl.String) + "."
            + (pl.col("cent") % 100).cast(pl.String).str.pad_start(2, "0"))
    _, sedi = nomi_unita(engine)
    return agg.select("codice_sede", "tipo", "numero", euro.alias("importo_euro")).join(
        sedi, on="codice_sede", how="left", maintain_order="left")


def genera(*, engine: Engine, settings: Settings, al: date, cartella: Path) -> list[Path]:
    """The three files. The list goes into its file list by list (`liste_una_per_volta`,
    motivated items and all, for the breaches by unit, then without them), each list
    dropped before the next is computed: at 5 M bookings the whole list (4.5 M entries)
    held twice, with and without the motivated ones, kept the report above 2 GiB."""
    periodo = periodo_di(al)
    per_unita: list[pl.DataFrame] = []

    def senza_motivati(liste: Iterator[tuple[str, pl.DataFrame]]) -> Iterator[pl.DataFrame]:
        for nome, lista in liste:
            if nome == LISTE[0]:  # superamenti_per_unita reads this list alone
                per_unita.append(superamenti_per_unita(lista))
            lista = lista.filter(~pl.col("motivato"))
            yield lista
            del lista

    scritta = scrivi_liste(senza_motivati(liste_una_per_volta(
        engine=engine, settings=settings, oggi=al, includi_motivati=True)),
        cartella / "lista_monitoraggio.csv", "csv")
    return [
        scritta,
        scrivi_csv(con_nomi(pl.concat(per_unita), engine),
                   cartella / "superamenti_per_unita.csv"),
        scrivi_csv(sanzioni_per_sede(engine, periodo.inizio, al + timedelta(days=1)),
                   cartella / "sanzioni_per_sede.csv"),
    ]
