"""A richer register for the console's list and dashboard tests: a synthetic ASL-year from
`cup` (fixed seed, a few thousand bookings, their admissions and segnalazioni), plus one
breach whose id looks like a spreadsheet formula; one person per role, a logged-in client
factory, and the list's rows read back from a page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
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
from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
from registro.db import transazione
from registro.settings import Settings
from servizio.api.app import create_app
from servizio.console import service
from servizio.console.permessi import RUOLI
from supporto.console import PASSWORD, accedi
from supporto.prenotazioni import riga, scrivi_export

FORMULA = "=1+1"
"""The id of a booking past its target: must reach a spreadsheet as text, never evaluated."""

ANNO = 2025


@pytest.fixture
def registro_sintetico(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    export, ricoveri = tmp_path / "cup.csv", tmp_path / "ricoveri.csv"
    scrivi_csv(export, rows=1200, seed=7, anno=ANNO)
    scrivi_csv_ricoveri(ricoveri, rows=120, seed=7, anno=ANNO)
    importa_catalogo(catalogo_nazionale(), engine=engine)
    sedi = tmp_path / "sedi.csv"
    scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune", "indirizzo"],
                                    orient="row"), sedi)
    importa_sedi(sedi, engine=engine)
    importa_reparti(reparti_demo(), engine=engine)
    ingest(export, engine=engine, settings=settings)
    ingest(ricoveri, engine=engine, settings=settings, registro="ricoveri")
    ingest(scrivi_export(tmp_path / "formula.csv", [
        riga(FORMULA, data_prenotazione="2025-11-03T10:00",
             data_appuntamento="2025-11-20T09:00", classe_priorita="D")]),
        engine=engine, settings=settings)
    genera_segnalazioni(engine=engine, settings=settings, anno=ANNO, oggi=date(ANNO, 12, 31),
                        seed=7)
    with transazione(engine) as session:
        for ruolo in RUOLI:
            service.crea_utente(session=session, nome=f"p-{ruolo}", ruolo=ruolo,
                                password=PASSWORD)
    return engine


@pytest.fixture
def entra(registro_sintetico: Engine, settings: Settings
          ) -> Iterator[Callable[[str], TestClient]]:
    """A factory of clients logged in with a role, all on one app (so they share the kept
    list, as the people of one server do)."""
    app = create_app(settings)
    aperti: list[TestClient] = []

    def fabbrica(ruolo: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=True)
        c.__enter__()
        aperti.append(c)
        r = accedi(c, f"p-{ruolo}")
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]
        return c

    yield fabbrica
    for c in aperti:
        c.__exit__(None, None, None)


def voci_della_pagina(html: str) -> list[str]:
    """The items of a list page, in order, as 'lista|registro|id|termine'."""
    return [v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
            .replace("&lt;", "<").replace("&gt;", ">")
            for v in re.findall(r'<tr data-voce="([^"]*)">', html)]


def pagina_successiva(html: str) -> str | None:
    m = re.search(r'<a href="([^"]+)" rel="next">', html)
    return m.group(1).replace("&amp;", "&") if m else None


def tutte_le_pagine(c: TestClient, url: str) -> tuple[list[str], int]:
    """Every item met following the 'next page' links from `url`, and the pages read."""
    visti: list[str] = []
    pagine = 0
    prossima: str | None = url
    while prossima:
        r = c.get(prossima)
        assert r.status_code == 200, r.text[:300]
        visti += voci_della_pagina(r.text)
        prossima = pagina_successiva(r.text)
        pagine += 1
        assert pagine < 500
    return visti, pagine


def chiave_voce(r: dict[str, object]) -> str:
    """An item of `calcola_lista` as `voci_della_pagina` reads it."""
    return f"{r['lista']}|{r['registro']}|{r['id']}|{r['termine'] or ''}"
