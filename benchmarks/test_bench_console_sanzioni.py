"""pytest-benchmark: the console's sanctions list (one page and its totals, server side) over
tens of thousands of records, unfiltered and with each filter. Timings are reported, never
asserted.

The register is a synthetic year (4,000 bookings, checked) copied REGISTRO_BENCH_COPIE times
(default 64: about 250,000 bookings and 49,000 sanctions) by INSERT … SELECT, so building
it takes seconds instead of a full ingest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from supporto.sito import registro_sintetico  # tests/ is on pytest's pythonpath

from registro.check import check
from registro.db import transazione
from servizio.api.app import create_app
from servizio.console import service

COPIE = int(os.environ.get("REGISTRO_BENCH_COPIE", "64"))
PASSWORD = "password-del-benchmark"


def _moltiplica(engine: Engine, copie: int) -> int:
    """Each booking and its sanctions `copie` times, ids suffixed `~k`."""
    colonne_p = [c["name"] for c in inspect(engine).get_columns("prenotazione")]
    colonne_s = [c["name"] for c in inspect(engine).get_columns("sanzione") if c["name"] != "id"]

    def scelta(colonne: list[str], k: int) -> str:
        return ", ".join(f"id_prenotazione || '~{k}'" if c == "id_prenotazione" else c
                         for c in colonne)

    with engine.begin() as conn:
        for k in range(1, copie):
            conn.execute(text(f"INSERT INTO prenotazione ({', '.join(colonne_p)}) "
                              f"SELECT {scelta(colonne_p, k)} FROM prenotazione "
                              "WHERE id_prenotazione NOT LIKE '%~%'"))
            conn.execute(text(f"INSERT INTO sanzione ({', '.join(colonne_s)}) "
                              f"SELECT {scelta(colonne_s, k)} FROM sanzione "
                              "WHERE id_prenotazione NOT LIKE '%~%' ORDER BY id"))
        return int(conn.execute(text("SELECT count(*) FROM sanzione")).scalar_one())


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    engine, settings = registro_sintetico(tmp_path_factory.mktemp("sanzioni") / "r",
                                          prenotazioni=4000, ricoveri=10)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    n = _moltiplica(engine, COPIE)
    assert n > 10_000
    with transazione(engine) as session:
        service.crea_utente(session=session, nome="direttore", ruolo="direzione",
                            password=PASSWORD)
    engine.dispose()
    with TestClient(create_app(settings)) as c:
        pagina = c.get("/console/accesso").text
        token = pagina.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = c.post("/console/accesso", data={"nome": "direttore", "password": PASSWORD,
                                             "csrf": token}, follow_redirects=False)
        assert r.status_code == 303
        yield c


FILTRI = {
    "tutte": "",
    "tipo": "tipo=malum",
    "stato": "stato=annullato",
    "sede": "sede=S003",
    "date": "dal=2026-01-01&al=2026-12-31",
    "tutti": "tipo=malum&stato=emesso&sede=S003&dal=2026-01-01",
}


@pytest.mark.parametrize("filtro", list(FILTRI))
def test_console_sanzioni_prima_pagina(benchmark: Any, console: TestClient,
                                       filtro: str) -> None:
    r = benchmark(lambda: console.get(f"/console/sanzioni?{FILTRI[filtro]}"))
    assert r.status_code == 200


def test_console_sanzioni_pagina_lontana(benchmark: Any, console: TestClient) -> None:
    """A page deep in the list: by key, it costs what the first one does."""
    r = benchmark(lambda: console.get("/console/sanzioni?dopo=1000"))
    assert r.status_code == 200 and "n. 999" in r.text

