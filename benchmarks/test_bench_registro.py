"""pytest-benchmark suites: rules, statistics, sanctions, validation and the ingest.

Run with `make bench` (1,000,000 bookings by default; REGISTRO_BENCH_RIGHE to change).
Timings are reported, never asserted: targets live here, not in the unit tests.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.db import make_engine, migrate
from registro.ordine import fuori_ordine_prenotazioni, in_agenda
from registro.periodo import Periodo
from registro.rules import deriva, garanzia
from registro.sanzioni import RegimeSanzioni, sanzioni_dovute
from registro.settings import load_settings
from registro.standards import CARTA1995, PNGLA
from reports.stats import tabella_prestazioni


def test_rules_deriva(benchmark: pytest.FixtureRequest, prenotazioni: pl.DataFrame) -> None:
    out = benchmark(lambda: deriva(prenotazioni.lazy(), PNGLA).collect())
    assert out.height == prenotazioni.height


def test_stats_year(benchmark: pytest.FixtureRequest, prenotazioni: pl.DataFrame) -> None:
    periodo = Periodo.parse("2025")
    out = benchmark(lambda: tabella_prestazioni(prenotazioni.lazy(), profilo=CARTA1995,
                                                periodo=periodo))
    assert out["n"].sum() + out["n_fuori_garanzia"].sum() > 0


def test_fuori_ordine_prenotazioni(benchmark: pytest.FixtureRequest,
                                   prenotazioni: pl.DataFrame) -> None:
    """Carta §5.1: the overtakes of every agenda (service × site) of the synthetic year, as
    the check computes them over the whole register (REGISTRO_BENCH_RIGHE, 1 M by default)."""
    agenda = garanzia(prenotazioni.lazy(), CARTA1995).collect()
    out = benchmark(lambda: fuori_ordine_prenotazioni(agenda.lazy()))
    assert out.height == agenda.filter(in_agenda()).height > 0
    assert out["fuori_ordine"].sum() > 0


@pytest.mark.parametrize("regime", ["carta1995", "dl73"])
def test_sanzioni(benchmark: pytest.FixtureRequest, prenotazioni: pl.DataFrame,
                  regime: str) -> None:
    r = RegimeSanzioni(regime=regime)  # type: ignore[arg-type]
    out = benchmark(lambda: sanzioni_dovute(prenotazioni.lazy(), r).collect())
    assert out.height > 0


def test_ingest_sqlite(benchmark: pytest.FixtureRequest, export_csv: Path,
                       tmp_path_factory: pytest.TempPathFactory, n_righe: int) -> None:
    """The whole ingest of the file into a fresh SQLite register (validation, versions,
    rejects, archive): one round, it is long."""

    def setup() -> tuple[tuple[object, ...], dict[str, object]]:
        d = tmp_path_factory.mktemp("ingest")
        settings = load_settings(db_url=f"sqlite:///{d / 'r.db'}", data_dir=d / "dati",
                                 chiave_pseudonimi="bench")
        engine = make_engine(settings.db_url)
        migrate(engine)
        importa_catalogo(catalogo_nazionale(), engine=engine)
        return (export_csv,), {"engine": engine, "settings": settings}

    esito = benchmark.pedantic(ingest, setup=setup, rounds=1, iterations=1)  # type: ignore[attr-defined]
    assert esito.accettate == n_righe
    benchmark.extra_info["righe_al_secondo"] = round(  # type: ignore[attr-defined]
        n_righe / benchmark.stats.stats.mean)  # type: ignore[attr-defined]
