"""The sanctions listing (`registro sanzioni`): every bonum, malum, refund and
report-not-collected record, with the service's description and the site's name beside
their codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import Engine

from registro import db
from registro.csvsafe import scrivi_csv, scrivi_json

COLONNE = ["id_prenotazione", "tipo", "importo", "stato", "data_emissione", "motivo"]
NOMI = ["codice_prestazione", "descrizione_prestazione", "codice_sede", "nome_sede"]
"""Added after COLONNE, never among them: the operators' scripts read the first six by
position and name."""


def data_evento() -> pl.Expr:
    """The day the fact behind a record happened: the cancellation for a booking cancelled
    by the citizen, else the appointment; the issue date when the booking is unknown.

    A period report counts a record in the period of its fact, not of its issue: the check
    that issues them may run weeks later (all the demo's records carry 31 December)."""
    return (pl.when((pl.col("stato_prenotazione") == "disdetta_utente")
                    & pl.col("data_disdetta").is_not_null())
            .then(pl.col("data_disdetta").cast(pl.Date))
            .otherwise(pl.col("data_appuntamento").cast(pl.Date))
            .fill_null(pl.col("data_emissione")))


def elenco_sanzioni(engine: Engine) -> pl.DataFrame:
    """Every record, oldest first: COLONNE, NOMI, `importo_cent` and `data_evento`.

    Columns mostly empty are read apart or as text with '' for none: SQLite's reader takes a
    column's type from its first rows, and a cancellation date absent from the first
    thousand records would be read as a number."""
    df = db.read_frame(
        engine,
        "SELECT s.id, s.id_prenotazione, s.tipo, s.importo_cent, s.stato, s.data_emissione, "
        "s.motivo, p.codice_prestazione, COALESCE(pr.descrizione, '') AS descrizione_prestazione, "
        "p.codice_sede, COALESCE(se.nome, '') AS nome_sede, p.stato AS stato_prenotazione, "
        "p.data_appuntamento "
        "FROM sanzione s LEFT JOIN prenotazione p ON p.id_prenotazione = s.id_prenotazione "
        "LEFT JOIN prestazione pr ON pr.codice = p.codice_prestazione "
        "LEFT JOIN sede se ON se.codice = p.codice_sede ORDER BY s.id",
        {"id": pl.Int64(), "id_prenotazione": pl.String(), "tipo": pl.String(),
         "importo_cent": pl.Int64(), "stato": pl.String(), "data_emissione": pl.Date(),
         "motivo": pl.String(), "codice_prestazione": pl.String(),
         "descrizione_prestazione": pl.String(), "codice_sede": pl.String(),
         "nome_sede": pl.String(), "stato_prenotazione": pl.String(),
         "data_appuntamento": pl.Datetime("us")})
    disdette = db.read_frame(
        engine,
        "SELECT id_prenotazione, data_disdetta FROM prenotazione WHERE data_disdetta IS NOT "
        "NULL AND id_prenotazione IN (SELECT id_prenotazione FROM sanzione)",
        {"id_prenotazione": pl.String(), "data_disdetta": pl.Datetime("us")})
    # Integer cents to "25.82": string arithmetic on integers, never a float.
    importo = (
        (pl.col("importo_cent") // 100).cast(pl.String) + "."
        + (pl.col("importo_cent") % 100).cast(pl.String).str.pad_start(2, "0"))
    return (df.join(disdette, on="id_prenotazione", how="left", maintain_order="left")
            .with_columns(pl.col("descrizione_prestazione", "nome_sede").replace("", None))
            .with_columns(importo=importo, data_evento=data_evento()))


def importi_per_evento(engine: Engine) -> pl.DataFrame:
    """Every record's kind, state, cents and `data_evento` only: what `totali` and
    `nel_periodo` read. The Conferenza's report counts a million records at 5 M bookings;
    the whole `elenco_sanzioni` (reasons, names, ids) held 1.5 GB for those counts."""
    df = db.read_frame(
        engine,
        "SELECT s.id_prenotazione, s.tipo, s.importo_cent, s.stato, s.data_emissione, "
        "p.stato AS stato_prenotazione, p.data_appuntamento "
        "FROM sanzione s LEFT JOIN prenotazione p ON p.id_prenotazione = s.id_prenotazione",
        {"id_prenotazione": pl.String(), "tipo": pl.String(), "importo_cent": pl.Int64(),
         "stato": pl.String(), "data_emissione": pl.Date(), "stato_prenotazione": pl.String(),
         "data_appuntamento": pl.Datetime("us")})
    disdette = db.read_frame(
        engine,
        "SELECT id_prenotazione, data_disdetta FROM prenotazione WHERE data_disdetta IS NOT "
        "NULL AND stato = 'disdetta_utente' AND id_prenotazione IN "
        "(SELECT id_prenotazione FROM sanzione)",
        {"id_prenotazione": pl.String(), "data_disdetta": pl.Datetime("us")})
    return (df.join(disdette, on="id_prenotazione", how="left")
            .select("tipo", "importo_cent", "stato", data_evento=data_evento()))


def scrivi_sanzioni(df: pl.DataFrame, path: Path, formato: Literal["csv", "json"]) -> Path:
    out = df.select(*COLONNE, *NOMI).with_columns(pl.col("data_emissione").cast(pl.String))
    if formato == "csv":
        return scrivi_csv(out, path)
    return scrivi_json(out, path)


def totali(df: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """(count, cents) of live records by kind."""
    vive = df.filter(pl.col("stato") != "annullato").group_by("tipo").agg(
        pl.len().alias("n"), pl.col("importo_cent").sum().alias("cent"))
    return {t: (int(n), int(c)) for t, n, c in
            zip(vive["tipo"].to_list(), vive["n"].to_list(), vive["cent"].to_list(), strict=True)}


def nel_periodo(df: pl.DataFrame, inizio: date, fine: date) -> pl.DataFrame:
    """The records whose fact (`data_evento`) falls in [inizio, fine)."""
    return df.filter(pl.col("data_evento").is_between(pl.lit(inizio), pl.lit(fine),
                                                      closed="left"))
