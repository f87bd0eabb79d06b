"""Backup and restore of the whole register.

SQLite: the online backup API (a consistent copy while the register is in use).
PostgreSQL: `pg_dump` in custom format and `pg_restore --clean` (the server's own tools).
A backup file says what it is (SQLite header or PGDMP): restoring one into the other kind of
database is refused with a clear message.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from registro.db import is_sqlite
from registro.errors import ErroreUtente

_SQLITE = b"SQLite format 3\x00"
_PGDUMP = b"PGDMP"


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(nome: str) -> str:
    path = shutil.which(nome)
    if path is None:
        raise ErroreUtente(f"{nome} non trovato: installare il client PostgreSQL "
                           "(apt-get install postgresql-client)")
    return path


def backup(engine: Engine, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if is_sqlite(engine):
        src = sqlite3.connect(engine.url.database or "")
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        res = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",
                              f"--file={tmp}", _pg_url(engine)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise ErroreUtente(f"pg_dump non riuscito: {res.stderr.strip()}")
    tmp.replace(out)
    return out


def restore(engine: Engine, file: Path) -> None:
    file = Path(file)
    if not file.is_file():
        raise ErroreUtente(f"{file}: il file di backup non esiste")
    with open(file, "rb") as fh:
        testa = fh.read(16)
    if is_sqlite(engine):
        if not testa.startswith(_SQLITE):
            raise ErroreUtente(f"{file}: non è un backup SQLite del registro")
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        dst = sqlite3.connect(engine.url.database or "")
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    if not testa.startswith(_PGDUMP):
        raise ErroreUtente(f"{file}: non è un backup PostgreSQL (pg_dump) del registro")
    res = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                          "--single-transaction", f"--dbname={_pg_url(engine)}", str(file)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise ErroreUtente(f"pg_restore non riuscito: {res.stderr.strip()}")
