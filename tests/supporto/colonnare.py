"""The columnar mirror as the tests look at it: its files, read raw (no validation, no
partition columns), whatever the version the link points at."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from registro import colonnare
from registro.settings import Settings


def parti(settings: Settings) -> list[Path]:
    """The files of the version in place (through the link, as a region would read them)."""
    return colonnare.parti(colonnare.percorso(settings))


def specchio(settings: Settings) -> pl.DataFrame:
    """Every booking of the mirror, from its files as they are."""
    return pl.concat([pl.read_parquet(p, hive_partitioning=False) for p in parti(settings)])


def impronte(settings: Settings) -> set[str]:
    """The impronta each file carries (one, when the mirror is whole)."""
    return {pl.read_parquet_metadata(p)[colonnare.CHIAVE_METADATI] for p in parti(settings)}
