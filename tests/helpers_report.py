"""A small filled register for the report tests: catalog, sites, wards, a synthetic year, check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers_sito import anagrafiche
from sqlalchemy import Engine

from cup.ingest import ingest
from cup.synthetic import scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from registro.check import check
from registro.settings import Settings


def riempi(engine: Engine, settings: Settings, cartella: Path, *, prenotazioni: int = 3000,
           ricoveri: int = 300) -> None:
    cartella.mkdir(parents=True, exist_ok=True)
    anagrafiche(engine, cartella)
    ingest(scrivi_csv(cartella / "cup.csv", rows=prenotazioni, seed=11, anno=2025),
           engine=engine, settings=settings)
    ingest(scrivi_csv_ricoveri(cartella / "ricoveri.csv", rows=ricoveri, seed=11, anno=2025),
           engine=engine, settings=settings, registro="ricoveri")
    check(engine=engine, settings=settings, oggi=date(2026, 1, 15))
