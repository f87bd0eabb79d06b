"""Backup and restore round trip: every table comes back as it was."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from helpers import riga, scrivi_export
from sqlalchemy import Engine, inspect

from cup.ingest import ingest
from registro.backup import backup, restore
from registro.catalogo import catalogo_nazionale, importa_catalogo
from registro.check import check
from registro.db import read_frame, session_scope
from registro.errors import ErroreUtente
from registro.motivazioni import registra
from registro.settings import Settings


def _istantanea(engine: Engine) -> dict[str, pl.DataFrame]:
    out = {}
    for tabella in sorted(inspect(engine).get_table_names()):
        if tabella == "alembic_version":
            continue
        cols = [c["name"] for c in inspect(engine).get_columns(tabella)]
        df = read_frame(engine, f"SELECT {', '.join(cols)} FROM {tabella}",
                        {c: pl.String() for c in cols})
        out[tabella] = df.sort(cols)
    return out


def test_round_trip_preserves_every_table(engine: Engine, settings: Settings,
                                          tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [
        riga("P1", stato="non_presentato"), riga("P2", data_appuntamento="2026-03-30T09:00"),
        riga("P3", stato="sbagliato")]), engine=engine, settings=settings)
    check(engine=engine, settings=settings)
    with session_scope(engine) as s:
        registra(session=s, registro="prestazioni", riferimento="P2", testo="ferie",
                 autore="DS")
    prima = _istantanea(engine)
    assert all(prima[t].height > 0 for t in ("prenotazione", "sanzione", "scarto",
                                             "motivazione", "prestazione", "sede"))
    file = backup(engine, tmp_path / "registro.backup")

    ingest(scrivi_export(tmp_path / "b.csv", [riga("P9")]), engine=engine, settings=settings)
    assert _istantanea(engine)["prenotazione"].height == 3
    restore(engine, file)
    dopo = _istantanea(engine)
    assert dopo.keys() == prima.keys()
    for tabella in prima:
        assert dopo[tabella].equals(prima[tabella]), tabella


def test_restore_refuses_a_foreign_file(engine: Engine, tmp_path: Path) -> None:
    estraneo = tmp_path / "x.backup"
    estraneo.write_bytes(b"not a backup at all")
    with pytest.raises(ErroreUtente, match="non è un backup"):
        restore(engine, estraneo)
    with pytest.raises(ErroreUtente, match="non esiste"):
        restore(engine, tmp_path / "manca.backup")
