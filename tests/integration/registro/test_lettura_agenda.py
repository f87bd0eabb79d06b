"""The agenda read of the chronological order (registro.letture.leggi_agenda) filters in SQL
what `in_agenda` would drop anyway: on both databases it keeps exactly the bookings the rule
keeps (every state × access type × choice flag)."""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.letture import SCHEMA_AGENDA, leggi_agenda, leggi_prenotazioni
from registro.ordine import in_agenda
from registro.rules import garanzia
from registro.settings import Settings
from registro.standards import CARTA1995

STATI = ("prenotata", "erogata", "non_presentato", "disdetta_utente")


def _in_agenda(df: pl.DataFrame) -> list[str]:
    return sorted(garanzia(df.lazy(), CARTA1995).filter(in_agenda())
                  .collect()["id_prenotazione"].to_list())


def test_agenda_read_keeps_exactly_the_bookings_in_agenda(engine: Engine, settings: Settings,
                                                          tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    righe = [riga(f"P{i:02d}", stato=stato, tipo_accesso=accesso, scelta_utente=scelta,
                  data_disdetta="2026-03-03T10:00" if stato == "disdetta_utente" else "")
             for i, (stato, accesso, scelta) in enumerate(
                 itertools.product(STATI, ("primo", "controllo"), ("0", "1")))]
    ingest(scrivi_export(tmp_path / "a.csv", righe), engine=engine, settings=settings)
    tutte = leggi_prenotazioni(engine)
    assert tutte.height == len(righe)
    letta = leggi_agenda(engine)
    assert letta.schema == SCHEMA_AGENDA
    attese = _in_agenda(tutte)
    # a state on the agenda, first access, not the citizen's choice
    assert attese == ["P00", "P04", "P08"]
    assert sorted(letta["id_prenotazione"].to_list()) == _in_agenda(letta) == attese
    assert letta.filter(letta["id_prenotazione"] == "P00")["tipo"].to_list() == (
        tutte.filter(tutte["id_prenotazione"] == "P00")["tipo"].to_list())
