"""A register for the console's benchmarks: the demo's first steps (synthetic CUP export and
planned-admission list from `cup`, with a fixed seed → catalog, sites, wards → ingest →
check → segnalazioni), without the site and the reports, and a logged-in TestClient."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cup.catalogo import (
    catalogo_nazionale,
    importa_catalogo,
    importa_reparti,
    importa_sedi,
    reparti_demo,
)
from cup.ingest import ingest
from cup.synthetic import SEDI, scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from cup.synthetic_tutela import genera_segnalazioni
from registro.check import check
from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
from registro.db import make_engine, migrate, transazione
from registro.settings import Settings, load_settings
from servizio.api.app import create_app
from servizio.console.service import crea_utente

ANNO = 2025
PASSWORD = "una-password-per-il-benchmark"


def costruisci(cartella: Path, *, righe: int, seed: int = 42) -> tuple[Engine, Settings]:
    """A SQLite register of `righe` synthetic bookings of ANNO (and righe/15 admissions), as
    `registro demo` builds it; one `direzione` person, `p-direzione`."""
    cartella.mkdir(parents=True, exist_ok=True)
    settings = load_settings(db_url=f"sqlite:///{cartella / 'registro.db'}",
                             data_dir=cartella / "dati", chiave_pseudonimi="bench")
    engine = make_engine(settings.db_url)
    export, ricoveri = cartella / "cup.csv", cartella / "ricoveri.csv"
    scrivi_csv(export, rows=righe, seed=seed, anno=ANNO)
    scrivi_csv_ricoveri(ricoveri, rows=max(righe // 15, 100), seed=seed, anno=ANNO)
    migrate(engine)
    importa_catalogo(catalogo_nazionale(), engine=engine)
    sedi = cartella / "sedi.csv"
    scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune", "indirizzo"],
                                    orient="row"), sedi)
    importa_sedi(sedi, engine=engine)
    importa_reparti(reparti_demo(), engine=engine)
    ingest(export, engine=engine, settings=settings)
    ingest(ricoveri, engine=engine, settings=settings, registro="ricoveri")
    al = date(ANNO, 12, 31)
    check(engine=engine, settings=settings, oggi=al)
    genera_segnalazioni(engine=engine, settings=settings, anno=ANNO, oggi=al, seed=seed)
    with transazione(engine) as session:
        crea_utente(session=session, nome="p-direzione", ruolo="direzione", password=PASSWORD)
    return engine, settings


def cliente(settings: Settings) -> TestClient:
    """A TestClient of a fresh app, logged in as `p-direzione` (the caller closes it)."""
    c = TestClient(create_app(settings))
    c.__enter__()
    pagina = c.get("/console/accesso")
    m = re.search(r'name="csrf" value="([^"]+)"', pagina.text)
    assert m
    r = c.post("/console/accesso", data={"nome": "p-direzione", "password": PASSWORD,
                                         "csrf": m.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c
