"""Fixed synthetic data for the benchmarks (same seed every run)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from cup.schema import valida
from cup.synthetic import carica_catalogo, genera_prenotazioni, scrivi_csv

RIGHE = int(os.environ.get("REGISTRO_BENCH_RIGHE", "1000000"))


@pytest.fixture(scope="session")
def export_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scrivi_csv(tmp_path_factory.mktemp("bench") / "cup.csv", rows=RIGHE, seed=42)


@pytest.fixture(scope="session")
def prenotazioni(export_csv: Path) -> pl.DataFrame:
    """The typed bookings with their catalog type, as the check and the stats read them."""
    catalogo = carica_catalogo()
    raw = pl.read_csv(export_csv, infer_schema=False).with_row_index("_riga", offset=2)
    validi, _ = valida(raw.with_columns(pl.col("_riga").cast(pl.Int64)),
                       catalogo["codice"].to_list())
    tipi = catalogo.select(pl.col("codice").alias("codice_prestazione"), "tipo")
    return validi.drop("_riga").join(tipi, on="codice_prestazione", how="left")


@pytest.fixture(scope="session")
def n_righe() -> int:
    return RIGHE


@pytest.fixture(scope="session")
def genera() -> object:
    return genera_prenotazioni
