"""Backup and restore of the whole register, each verified before it is trusted.

SQLite: the online backup API (a consistent copy while the register is in use).
PostgreSQL: `pg_dump` in custom format and `pg_restore --clean` (the server's own tools).
A backup file says what it is (SQLite header or PGDMP): restoring one into the other kind of
database is refused with a clear message.

A restore replaces the register, so nothing is replaced until the file has shown it is a
register: readable, `PRAGMA integrity_check` = ok (SQLite) or a readable archive
(`pg_restore --list`), the register's tables, and an `alembic_version` this code knows (the
head, or an earlier revision that the next command migrates). A backup checks the copy it
wrote the same way, so a damaged register is reported when it is backed up, not on the day
the backup is needed. Every refusal is an ErroreUtente: one `errore:` line, exit 2.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from registro.db import is_sqlite
from registro.errors import ErroreUtente

_SQLITE = b"SQLite format 3\x00"
_PGDUMP = b"PGDMP"

TABELLE_REGISTRO = frozenset({"alembic_version", "ingest_run", "prenotazione",
                              "prenotazione_storia", "prestazione", "sanzione", "scarto",
                              "sede"})
"""The tables every register has had since the first migration: a file without them is not
a register, whatever its revision says."""

SUFFISSO_PRECEDENTE = ".prima-del-ripristino"
"""The SQLite register replaced by a restore is kept beside it with this suffix."""

_REVISIONE = re.compile(r"^revision\b[^=]*=\s*['\"]?(\w+)", re.MULTILINE)


def revisioni_note() -> set[str]:
    """Every migration revision this code has: a backup at any of them can be restored (the
    next command upgrades it to the head, as `registro init` would)."""
    cartella = Path(__file__).parent / "migrations" / "versions"
    return {r for script in cartella.glob("*.py")
            for r in _REVISIONE.findall(script.read_text(encoding="utf-8"))}


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(nome: str) -> str:
    path = shutil.which(nome)
    if path is None:
        raise ErroreUtente(f"{nome} non trovato: installare il client PostgreSQL "
                           "(apt-get install postgresql-client)")
    return path


def _controlla_revisione(file: Path, revisione: str | None) -> None:
    if revisione is None:
        raise ErroreUtente(f"{file}: non è un registro (alembic_version è vuota)")
    if revisione not in revisioni_note():
        raise ErroreUtente(f"{file}: versione dello schema {revisione!r} sconosciuta a questa "
                           "versione di registro (backup di una versione più recente?)")


# --- SQLite ---------------------------------------------------------------------------------

def verifica_sqlite(file: Path, *, registro: bool = True) -> None:
    """Raise ErroreUtente unless `file` is an intact SQLite database (integrity_check = ok)
    and, with `registro`, a register (its tables, a known revision). Read-only."""
    try:
        con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ErroreUtente(f"{file}: non si può aprire ({exc})") from exc
    try:
        esiti = [r[0] for r in con.execute("PRAGMA integrity_check(20)").fetchall()]
        if esiti != ["ok"]:
            problemi = [r for e in esiti for r in str(e).splitlines() if r.strip()]
            altri = f", e altri {len(problemi) - 1} problemi" if len(problemi) > 1 else ""
            raise ErroreUtente(f"{file}: database danneggiato (integrity_check: "
                               f"{problemi[0].strip()}{altri})")
        if not registro:
            return
        tabelle = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        mancano = sorted(TABELLE_REGISTRO - tabelle)
        if mancano:
            raise ErroreUtente(f"{file}: non è un backup del registro (mancano le tabelle "
                               f"{', '.join(mancano)})")
        riga = con.execute("SELECT version_num FROM alembic_version").fetchone()
        _controlla_revisione(file, None if riga is None else str(riga[0]))
    except sqlite3.DatabaseError as exc:
        # "file is not a database", "database disk image is malformed": damaged either way
        raise ErroreUtente(f"{file}: database danneggiato o illeggibile ({exc})") from exc
    finally:
        con.close()


def _copia_sqlite(origine: str, destinazione: Path) -> None:
    """Online backup API: a consistent copy, WAL content included. The copy is switched to
    a rollback journal: one self-contained file, which read-only checks open without
    leaving `-wal`/`-shm` files beside it."""
    src = sqlite3.connect(f"file:{origine}?mode=ro", uri=True)
    dst = sqlite3.connect(destinazione)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _elimina(file: Path) -> None:
    for f in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm"),
              file.with_name(file.name + "-journal")):
        f.unlink(missing_ok=True)


def _backup_sqlite(engine: Engine, tmp: Path) -> None:
    database = engine.url.database or ""
    if not Path(database).is_file():
        raise ErroreUtente(f"{database}: il registro non esiste, niente da copiare")
    try:
        _copia_sqlite(database, tmp)
    except sqlite3.DatabaseError as exc:
        raise ErroreUtente(f"{database}: il registro è danneggiato, backup non scritto "
                           f"({exc})") from exc
    try:
        verifica_sqlite(tmp, registro=False)
    except ErroreUtente as exc:
        raise ErroreUtente(f"il registro {database} è danneggiato: la copia non supera il "
                           f"controllo di integrità, backup non scritto ({exc})") from exc


def _conserva_precedente(database: Path) -> Path | None:
    """Keep the register about to be replaced as `<name>.prima-del-ripristino`: a consistent
    copy when it can be read, its raw files (with the WAL) when it is damaged."""
    if not database.is_file():
        return None
    precedente = database.with_name(database.name + SUFFISSO_PRECEDENTE)
    for vecchio in (precedente, precedente.with_name(precedente.name + "-wal")):
        vecchio.unlink(missing_ok=True)
    try:
        _copia_sqlite(str(database), precedente)
    except sqlite3.DatabaseError:
        shutil.copyfile(database, precedente)
        wal = database.with_name(database.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, precedente.with_name(precedente.name + "-wal"))
    return precedente


def _restore_sqlite(engine: Engine, file: Path) -> Path | None:
    """Verify the backup, stage it as a verified copy beside the register, keep the old
    register, then copy the staged one in through the backup API.

    Not a rename: the register runs in WAL mode, and a file renamed over it would be paired
    with the old register's `-wal` and `-shm` (and other processes' open handles): SQLite's
    own backup API writes it in one transaction under SQLite's locks instead, and rolls back
    if it fails, so the register is either the old one or the verified new one."""
    verifica_sqlite(file)
    database = Path(engine.url.database or "")
    database.parent.mkdir(parents=True, exist_ok=True)
    prova = database.with_name(database.name + ".ripristino-in-corso")
    _elimina(prova)
    try:
        _copia_sqlite(str(file), prova)
        verifica_sqlite(prova)
        precedente = _conserva_precedente(database)
        src = sqlite3.connect(f"file:{prova}?mode=ro", uri=True)
        dst = sqlite3.connect(database, timeout=600)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    finally:
        _elimina(prova)
    return precedente


# --- PostgreSQL -----------------------------------------------------------------------------

def verifica_pg_dump(file: Path, *, revisione: bool = True) -> None:
    """Raise ErroreUtente unless `file` is a readable pg_dump archive of a register: its
    table of contents lists (`pg_restore --list`), the register's tables are in it, and its
    `alembic_version` row is a revision this code knows. Touches no database."""
    pg_restore = _pg_tool("pg_restore")
    res = subprocess.run([pg_restore, "--list", str(file)], capture_output=True, text=True)
    if res.returncode != 0:
        dettaglio = (res.stderr.strip().splitlines() or ["archivio illeggibile"])[0]
        raise ErroreUtente(f"{file}: backup danneggiato o illeggibile ({dettaglio})")
    tabelle = set(re.findall(r"\bTABLE DATA \S+ (\w+)\b", res.stdout))
    mancano = sorted(TABELLE_REGISTRO - tabelle)
    if mancano:
        raise ErroreUtente(f"{file}: non è un backup del registro (mancano le tabelle "
                           f"{', '.join(mancano)})")
    # every data block read and decompressed, nothing written: a damaged middle shows here
    res = subprocess.run([pg_restore, "--file=/dev/null", str(file)], capture_output=True,
                         text=True)
    if res.returncode != 0:
        dettaglio = (res.stderr.strip().splitlines() or ["archivio illeggibile"])[0]
        raise ErroreUtente(f"{file}: backup danneggiato o illeggibile ({dettaglio})")
    if not revisione:
        return
    # the data of alembic_version, as the SQL pg_restore would run: COPY … FROM stdin; rows
    res = subprocess.run([pg_restore, "--data-only", "--table=alembic_version", "--file=-",
                          str(file)], capture_output=True, text=True)
    if res.returncode != 0:
        dettaglio = (res.stderr.strip().splitlines() or ["archivio illeggibile"])[0]
        raise ErroreUtente(f"{file}: backup danneggiato o illeggibile ({dettaglio})")
    dati = re.search(r"^COPY \S*alembic_version .*?FROM stdin;\n(.*?)^\\\.$", res.stdout,
                     re.MULTILINE | re.DOTALL)
    righe = dati.group(1).split() if dati else []
    _controlla_revisione(file, righe[0] if righe else None)


def _backup_pg(engine: Engine, tmp: Path) -> None:
    res = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",
                          f"--file={tmp}", _pg_url(engine)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise ErroreUtente(f"pg_dump non riuscito: {res.stderr.strip()}")
    verifica_pg_dump(tmp, revisione=False)  # the revision is the register's own


def _restore_pg(engine: Engine, file: Path) -> None:
    """Verify the archive first; then one transaction (`--single-transaction`): if anything
    fails the old register stays as it was."""
    verifica_pg_dump(file)
    res = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                          "--single-transaction", f"--dbname={_pg_url(engine)}", str(file)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise ErroreUtente(f"pg_restore non riuscito, registro invariato: "
                           f"{res.stderr.strip()}")


# --- entry points ---------------------------------------------------------------------------

def backup(engine: Engine, out: Path) -> Path:
    """Write a verified backup to `out` (written beside it first, renamed when verified: a
    refused backup leaves no file and never overwrites an older good one)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    _elimina(tmp)
    try:
        if is_sqlite(engine):
            _backup_sqlite(engine, tmp)
        else:
            _backup_pg(engine, tmp)
    except BaseException:
        _elimina(tmp)
        raise
    tmp.replace(out)
    return out


def restore(engine: Engine, file: Path) -> Path | None:
    """Replace the register with the backup in `file`, once verified. Returns where the
    previous SQLite register was kept (None on PostgreSQL, where the restore is a single
    transaction, and when there was no register)."""
    file = Path(file)
    if not file.is_file():
        raise ErroreUtente(f"{file}: il file di backup non esiste")
    with open(file, "rb") as fh:
        testa = fh.read(16)
    if is_sqlite(engine):
        if not testa.startswith(_SQLITE):
            raise ErroreUtente(f"{file}: non è un backup SQLite del registro")
        return _restore_sqlite(engine, file)
    if not testa.startswith(_PGDUMP):
        raise ErroreUtente(f"{file}: non è un backup PostgreSQL (pg_dump) del registro")
    _restore_pg(engine, file)
    return None
