"""Registers for the public-site tests: a synthetic ASL-year, or a few hand-made cells."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from cup.ingest import ingest
from cup.synthetic import SEDI, scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from registro.catalogo import (
    catalogo_nazionale,
    importa_catalogo,
    importa_reparti,
    importa_sedi,
    reparti_demo,
)
from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
from registro.db import make_engine, migrate
from registro.settings import Settings, load_settings


def anagrafiche(engine: Engine, cartella: Path) -> None:
    """The national catalog, the synthetic ASL's sites and the demo wards."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    sedi = scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune",
                                                        "indirizzo"], orient="row"),
                              cartella / "sedi.csv")
    importa_sedi(sedi, engine=engine)
    importa_reparti(reparti_demo(), engine=engine)


def registro_sintetico(cartella: Path, *, prenotazioni: int, ricoveri: int,
                       anno: int = 2025) -> tuple[Engine, Settings]:
    """A SQLite register of one synthetic year (bookings and planned admissions)."""
    cartella.mkdir(parents=True, exist_ok=True)
    settings = load_settings(db_url=f"sqlite:///{cartella / 'registro.db'}",
                             data_dir=cartella / "dati", chiave_pseudonimi="chiave-di-prova",
                             url_dichiarazione_accessibilita="https://form.agid.gov.it/",
                             url_privacy="https://www.example.org/privacy",
                             url_note_legali="https://www.example.org/note-legali",
                             upt_telefono="0331 449707", upt_email="upt@example.org",
                             upt_indirizzo="Via Papa Giovanni Paolo II, Legnano",
                             upt_orari="dal lunedì al venerdì 9.30-12.30")
    engine = make_engine(settings.db_url)
    migrate(engine)
    anagrafiche(engine, cartella)
    ingest(scrivi_csv(cartella / "cup.csv", rows=prenotazioni, seed=7, anno=anno),
           engine=engine, settings=settings)
    ingest(scrivi_csv_ricoveri(cartella / "ricoveri.csv", rows=ricoveri, seed=7, anno=anno),
           engine=engine, settings=settings, registro="ricoveri")
    return engine, settings
