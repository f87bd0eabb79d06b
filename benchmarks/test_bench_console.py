"""pytest-benchmark suite of the console's two heavy pages, through TestClient (server time
plus the in-process client's small overhead): the monitoring list with ~100,000 items
(first page, a deep page, a filtered page, a deep page in another order) and the dashboard
on a register the size of `registro demo`'s.

Targets (issue 15): the list ≤ 150 ms for any page and filter, the dashboard ≤ 300 ms; read
the medians, they are reported, never asserted. The first request of a register computes
the list (the warm-up round); the rounds measure what every later request costs.

    .venv/bin/pytest benchmarks/test_bench_console.py --benchmark-only \\
        --benchmark-columns=median,mean,min,max,rounds

REGISTRO_BENCH_CONSOLE_RIGHE (default 165,000 bookings, ≈ 100,000 list items) and
REGISTRO_BENCH_DEMO_RIGHE (default 300,000, the demo's) change the sizes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest
from banco_console import cliente, costruisci
from fastapi.testclient import TestClient

from reports.monitoring import calcola_lista
from servizio.console import lista as ls

RIGHE_LISTA = int(os.environ.get("REGISTRO_BENCH_CONSOLE_RIGHE", "165000"))
RIGHE_DEMO = int(os.environ.get("REGISTRO_BENCH_DEMO_RIGHE", "300000"))
ROUNDS = 15


@pytest.fixture(scope="module")
def con_lista(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """A logged-in client on the big register, and the cursor of the list's middle page."""
    engine, settings = costruisci(tmp_path_factory.mktemp("console") / "r", righe=RIGHE_LISTA)
    completa = ls.con_chiave(calcola_lista(engine=engine, settings=settings, oggi=date.today()))
    print(f"\nvoci nella lista: {completa.height:,}")
    meta = completa.row(completa.height // 2, named=True)
    c = cliente(settings)
    yield c, ls.cursore(meta)
    c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    _, settings = costruisci(tmp_path_factory.mktemp("demo") / "r", righe=RIGHE_DEMO, seed=1)
    c = cliente(settings)
    yield c
    c.__exit__(None, None, None)


def _tempo(benchmark: pytest.FixtureRequest, c: TestClient, url: str) -> str:
    def una() -> str:
        r = c.get(url)
        assert r.status_code == 200, r.text[:500]
        return r.text

    return benchmark.pedantic(una, rounds=ROUNDS, warmup_rounds=1)  # type: ignore[attr-defined, no-any-return]


def test_lista_prima_pagina(benchmark: pytest.FixtureRequest,
                            con_lista: tuple[TestClient, str]) -> None:
    html = _tempo(benchmark, con_lista[0], "/console/monitoraggio")
    assert 'rel="next"' in html


def test_lista_pagina_profonda(benchmark: pytest.FixtureRequest,
                               con_lista: tuple[TestClient, str]) -> None:
    c, meta = con_lista
    html = _tempo(benchmark, c, f"/console/monitoraggio?dopo={meta}")
    assert 'rel="next"' in html and "Prima pagina" in html


def test_lista_filtrata(benchmark: pytest.FixtureRequest,
                        con_lista: tuple[TestClient, str]) -> None:
    html = _tempo(benchmark, con_lista[0],
                  "/console/monitoraggio?registro=prestazioni&classe=D&sede_o_reparto=S001"
                  "&dal=2025-03-01&al=2025-10-31&ordina=giorni")
    assert 'id="conteggio">' in html


def test_lista_per_data_pagina_profonda(benchmark: pytest.FixtureRequest,
                                        con_lista: tuple[TestClient, str]) -> None:
    """A deep page in the date order, the cursor taken from the 40th page's link."""
    c, _ = con_lista
    url = "/console/monitoraggio?ordina=data&lista=superamento_senza_motivazione"
    for _ in range(40):
        html = c.get(url).text
        url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
        url = url.replace("&amp;", "&")
    html = _tempo(benchmark, c, url)
    assert "Prima pagina" in html


def test_cruscotto_demo(benchmark: pytest.FixtureRequest, demo: TestClient) -> None:
    html = _tempo(benchmark, demo, "/console/")
    assert 'role="img"' in html
