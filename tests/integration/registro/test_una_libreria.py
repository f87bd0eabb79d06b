"""The register's write lock survives whatever else the same process does on the file.

Closing a descriptor drops every POSIX lock the process holds on that file; Python's
`sqlite3` and the SQLite inside the ADBC driver are two libraries, each unaware of the
other's descriptors. Before registro.db kept them apart, one read through the ORM (or
ConnectorX) while the check or an ingest held the write lock let another process write at
the same time: the root of the corrupted registers of issue 18, item 1.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from registro import blocco, colonnare, db
from registro.check import passi
from registro.db import DueLibrerie, adbc_connection, make_engine, migrate, read_frame
from registro.letture import leggi_prenotazioni


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'registro.db'}")
    migrate(engine)
    return engine


def _altro_processo_scrive(file: str) -> bool:
    """Can another process take the write lock right now (without waiting)?"""
    codice = (f"import sqlite3\nc = sqlite3.connect({file!r}, timeout=0)\n"
              "try:\n    c.execute('BEGIN IMMEDIATE'); print('preso')\n"
              "except sqlite3.OperationalError: print('rifiutato')\n")
    out = subprocess.run([sys.executable, "-c", codice], capture_output=True, text=True,
                         check=True).stdout.strip()
    return out == "preso"


def test_reads_under_the_lock_keep_it(sqlite_engine: Engine) -> None:
    """What the check reads while it holds the lock goes through its own connection."""
    file = db.file_sqlite(sqlite_engine)
    with adbc_connection(sqlite_engine) as conn:
        blocco.prendi(conn, "prova")
        assert not _altro_processo_scrive(file)
        colonnare.impronta(sqlite_engine, conn=conn)
        passi(sqlite_engine, 10, conn=conn)
        leggi_prenotazioni(sqlite_engine, conn=conn)
        read_frame(sqlite_engine, "SELECT COUNT(*) AS n FROM sanzione", {"n": pl.Int64()},
                   conn=conn)
        assert not _altro_processo_scrive(file)
        conn.rollback()
    assert _altro_processo_scrive(file)


def test_the_other_library_waits_in_another_thread(sqlite_engine: Engine) -> None:
    """An ORM read in another thread (an API request) waits for the bulk connection to
    close instead of opening the file beside it; the lock holds meanwhile."""
    file = db.file_sqlite(sqlite_engine)
    letto = threading.Event()

    def leggi() -> None:
        with sqlite_engine.connect() as c:
            c.execute(text("SELECT COUNT(*) FROM prenotazione")).scalar()
        letto.set()

    with adbc_connection(sqlite_engine) as conn:
        blocco.prendi(conn, "prova")
        t = threading.Thread(target=leggi)
        t.start()
        time.sleep(0.5)
        assert not letto.is_set()
        assert not _altro_processo_scrive(file)
        conn.commit()
    t.join(timeout=30)
    assert letto.is_set()


def test_the_same_thread_cannot_mix_the_libraries(sqlite_engine: Engine) -> None:
    with adbc_connection(sqlite_engine) as conn:
        blocco.prendi(conn, "prova")
        with pytest.raises(DueLibrerie), sqlite_engine.connect() as c:
            c.execute(text("SELECT 1"))
        assert not _altro_processo_scrive(db.file_sqlite(sqlite_engine))
        conn.rollback()
    with sqlite_engine.connect() as c, pytest.raises(DueLibrerie), \
            adbc_connection(sqlite_engine):
        c.execute(text("SELECT 1"))


def test_an_orm_request_reads_frames_through_its_own_library(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as c:
        c.execute(text("SELECT 1"))
        frame = read_frame(sqlite_engine, "SELECT COUNT(*) AS n, 'x' AS t FROM prenotazione",
                           {"n": pl.Int64(), "t": pl.String()})
    assert frame.to_dicts() == [{"n": 0, "t": "x"}]


def test_a_column_empty_for_its_first_thousands_of_rows_is_read(sqlite_engine: Engine) -> None:
    """The ADBC SQLite driver types a column from its first block of rows: a text column
    empty in the first 1,024 rows then failed with "Type mismatch" (the demo's cancellation
    dates did, once read in their own query)."""
    with sqlite_engine.begin() as c:
        c.execute(text("CREATE TABLE tardi (a TEXT, b INTEGER)"))
        c.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                       "WHERE i < 5000) INSERT INTO tardi SELECT NULL, NULL FROM n"))
        c.execute(text("INSERT INTO tardi VALUES ('2026-03-05 10:00:00.000000', 7)"))
    frame = read_frame(sqlite_engine, "SELECT a, b FROM tardi",
                       {"a": pl.Datetime("us"), "b": pl.Int64()})
    assert frame.height == 5001
    assert frame.drop_nulls().to_dicts() == [{"a": datetime(2026, 3, 5, 10), "b": 7}]
    with adbc_connection(sqlite_engine) as conn:
        dentro = read_frame(sqlite_engine, "SELECT a, b FROM tardi",
                            {"a": pl.Datetime("us"), "b": pl.Int64()}, conn=conn)
    assert dentro.equals(frame)
