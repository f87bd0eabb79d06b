"""The public site at demo size: one ASL-year (300,000 bookings, 20,000 planned admissions).

`build_site` reads the registers, computes the published tables, renders every page and
writes the open data; one round (a build replaces the site whole). Reported, not asserted.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from public_site.build import build_site
from registro.db import make_engine
from registro.periodo import Periodo
from registro.settings import load_settings
from servizio.demo import esegui_demo

RIGHE_SITO = int(os.environ.get("REGISTRO_BENCH_SITO_RIGHE", "300000"))


@pytest.fixture(scope="session")
def registro_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cartella = tmp_path_factory.mktemp("bench_sito")
    esegui_demo(cartella, rows=RIGHE_SITO, seed=1, console=Console(quiet=True),
                passo=lambda _msg: nullcontext())
    return cartella


def test_build_site_demo_size(benchmark: pytest.FixtureRequest, registro_demo: Path) -> None:
    settings = load_settings(db_url=f"sqlite:///{registro_demo / 'registro.db'}",
                             data_dir=registro_demo / "dati")
    engine = make_engine(settings.db_url)
    out = registro_demo / "sito"
    esito = benchmark.pedantic(  # type: ignore[attr-defined]
        lambda: build_site(engine=engine, settings=settings, out=out,
                           periodo=Periodo.parse("2025"), oggi=date(2026, 1, 15)),
        rounds=1, iterations=1)
    assert esito.pagine > 100 and (out / "index.html").is_file()
    engine.dispose()
