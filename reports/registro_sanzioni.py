"""The sanctions listing (`registro sanzioni`): every bonum, malum, refund and
report-not-collected record."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import Engine

from registro import db
from registro.csvsafe import scrivi_csv, scrivi_json

COLONNE = ["id_prenotazione", "tipo", "importo", "stato", "data_emissione", "motivo"]


def elenco_sanzioni(engine: Engine) -> pl.DataFrame:
    df = db.read_frame(
        engine,
        "SELECT id, id_prenotazione, tipo, importo_cent, stato, data_emissione, motivo "
        "FROM sanzione ORDER BY id",
        {"id": pl.Int64(), "id_prenotazione": pl.String(), "tipo": pl.String(),
         "importo_cent": pl.Int64(), "stato": pl.String(), "data_emissione": pl.Date(),
         "motivo": pl.String()})
    # Integer cents to "25.82": string arithmetic on integers, never a float.
    importo = (
        (pl.col("importo_cent") // 100).cast(pl.String) + "."
        + (pl.col("importo_cent") % 100).cast(pl.String).str.pad_start(2, "0"))
    return df.with_columns(importo=importo)


def scrivi_sanzioni(df: pl.DataFrame, path: Path, formato: Literal["csv", "json"]) -> Path:
    out = df.select(COLONNE).with_columns(pl.col("data_emissione").cast(pl.String))
    if formato == "csv":
        return scrivi_csv(out, path)
    return scrivi_json(out, path)


def totali(df: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """(count, cents) of live records by kind."""
    vive = df.filter(pl.col("stato") != "annullato").group_by("tipo").agg(
        pl.len().alias("n"), pl.col("importo_cent").sum().alias("cent"))
    return {t: (int(n), int(c)) for t, n, c in
            zip(vive["tipo"].to_list(), vive["n"].to_list(), vive["cent"].to_list(), strict=True)}
