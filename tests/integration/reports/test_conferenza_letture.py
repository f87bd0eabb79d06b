"""The Conferenza's report reads only what its tables need (at 5 M bookings the whole
register and the whole sanctions list took 6 GB): the same numbers as the full readers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from supporto.report import riempi

from registro.periodo import Periodo
from registro.settings import Settings
from reports.conferenza import sanzioni_nel_periodo
from reports.monitoring import LISTE, calcola_lista
from reports.registro_sanzioni import elenco_sanzioni, importi_per_evento


def test_sanction_totals_from_the_narrow_reader(engine: Engine, settings: Settings,
                                                tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "dati_cup")
    with engine.begin() as conn:  # an annulled record must not count
        conn.execute(text("UPDATE sanzione SET stato = 'annullato' WHERE id = "
                          "(SELECT MIN(id) FROM sanzione)"))
    tutte, strette = elenco_sanzioni(engine), importi_per_evento(engine)
    assert strette.height == tutte.height > 0
    assert tutte.filter(pl.col("stato_prenotazione") == "disdetta_utente").height > 0
    for periodo in ("2025-H1", "2025-H2", "2025", "2026"):
        p = Periodo.parse(periodo)
        assert sanzioni_nel_periodo(strette, p) == sanzioni_nel_periodo(tutte, p), periodo
    assert sum(n for n, _ in sanzioni_nel_periodo(strette, Periodo.parse("2025")).values()) > 0


def test_one_list_alone_is_that_list_of_the_whole(engine: Engine, settings: Settings,
                                                  tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "dati_cup")
    oggi = date(2026, 6, 30)  # bookings still `prenotata` past their day: stato_non_aggiornato
    intera = calcola_lista(engine=engine, settings=settings, oggi=oggi)
    assert set(intera["lista"]) >= {LISTE[0], LISTE[1], LISTE[4]}
    for lista in (LISTE[0], LISTE[1], LISTE[4]):
        sola = calcola_lista(engine=engine, settings=settings, oggi=oggi, liste=[lista])
        attesa = intera.filter(pl.col("lista") == lista)
        assert sola.height == attesa.height > 0
        assert sola.equals(attesa), lista
