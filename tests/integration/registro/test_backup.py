"""Backup and restore round trip: every table comes back as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, inspect, text
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.backup import backup, restore
from registro.check import check
from registro.db import (
    is_sqlite,
    make_engine,
    migrate,
    read_frame,
    revisione_finale,
    schema_aggiornato,
    session_scope,
)
from registro.errors import ErroreUtente
from registro.motivazioni import registra
from registro.settings import Settings, load_settings


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


# --- issue 18, item 5: a restore checks the file before replacing anything; a backup checks
# what it wrote. Through the CLI: one `errore:` line, exit 2, the register as it was.

def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": settings.chiave_pseudonimi or "",
           "PATH": os.environ.get("PATH", "/usr/bin")}
    return subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def _rifiutato(res: subprocess.CompletedProcess[str], *frammenti: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    righe = [r for r in res.stderr.splitlines() if r.strip()]
    assert len(righe) == 1 and righe[0].startswith("errore:"), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    for f in frammenti:
        assert f in righe[0], righe[0]


def _danneggia_nel_mezzo(file: Path) -> None:
    """Overwrite the middle quarter of the file (header and tail intact): more pages than
    a register keeps free, so live pages are hit whatever the layout."""
    dati = bytearray(file.read_bytes())
    da, a = len(dati) * 3 // 8, len(dati) * 5 // 8
    dati[da:a] = bytes((i * 37 + 11) % 256 for i in range(a - da))
    file.write_bytes(bytes(dati))


@pytest.fixture
def registro_pieno(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [riga(f"P{i}") for i in range(400)]),
           engine=engine, settings=settings)
    check(engine=engine, settings=settings)
    return engine


def _estraneo(engine: Engine, tmp_path: Path) -> Path:
    """A valid backup file of the right kind that is not a register."""
    file = tmp_path / "estraneo.backup"
    if is_sqlite(engine):
        con = sqlite3.connect(file)
        con.execute("CREATE TABLE ricette (id INTEGER PRIMARY KEY, nome TEXT)")
        con.executemany("INSERT INTO ricette (nome) VALUES (?)", [("pane",), ("pasta",)])
        con.commit()
        con.close()
    else:  # a real pg_dump archive with one table of the register only
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", "--table=sede", f"--file={file}", url],
                       check=True)
    return file


def test_restore_refuses_an_unrelated_file(registro_pieno: Engine, settings: Settings,
                                           tmp_path: Path) -> None:
    prima = _istantanea(registro_pieno)
    res = _cli(settings, "restore", str(_estraneo(registro_pieno, tmp_path)))
    _rifiutato(res, "non è un backup del registro")
    assert _istantanea(registro_pieno).keys() == prima.keys()
    for tabella, df in _istantanea(registro_pieno).items():
        assert df.equals(prima[tabella]), tabella


def test_restore_refuses_a_damaged_backup(registro_pieno: Engine, settings: Settings,
                                          tmp_path: Path) -> None:
    file = tmp_path / "registro.backup"
    assert _cli(settings, "backup", "--out", str(file)).returncode == 0
    _danneggia_nel_mezzo(file)
    prima = _istantanea(registro_pieno)
    res = _cli(settings, "restore", str(file))
    _rifiutato(res, "danneggiato")
    for tabella, df in _istantanea(registro_pieno).items():
        assert df.equals(prima[tabella]), tabella


def test_restore_refuses_an_unknown_revision(registro_pieno: Engine, settings: Settings,
                                             tmp_path: Path) -> None:
    if not is_sqlite(registro_pieno):  # the same check on the archive: its alembic_version
        with registro_pieno.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        file = backup(registro_pieno, tmp_path / "futuro.backup")
        with registro_pieno.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = "
                              f"'{revisione_finale()}'"))
    else:
        file = backup(registro_pieno, tmp_path / "futuro.backup")
        con = sqlite3.connect(file)
        con.execute("UPDATE alembic_version SET version_num = '9999'")
        con.commit()
        con.close()
    res = _cli(settings, "restore", str(file))
    _rifiutato(res, "'9999' sconosciuta")
    assert schema_aggiornato(registro_pieno)


def test_restore_keeps_the_previous_register(registro_pieno: Engine, settings: Settings,
                                             tmp_path: Path) -> None:
    file = tmp_path / "registro.backup"
    assert _cli(settings, "backup", "--out", str(file)).returncode == 0
    ingest(scrivi_export(tmp_path / "b.csv", [riga("NUOVA")]), engine=registro_pieno,
           settings=settings)
    res = _cli(settings, "restore", str(file))
    assert res.returncode == 0, res.stderr
    with registro_pieno.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prenotazione")).scalar() == 400
    if is_sqlite(registro_pieno):
        precedente = Path(str(registro_pieno.url.database) + ".prima-del-ripristino")
        assert str(precedente) in res.stdout
        con = sqlite3.connect(precedente)
        assert con.execute("SELECT count(*) FROM prenotazione").fetchone()[0] == 401
        con.close()
        cartella = precedente.parent
        assert not list(cartella.glob("*ripristino-in-corso*"))
        assert not list(cartella.glob("*.backup-*"))  # self-contained: no -wal, no -shm


def test_backup_of_a_damaged_register_is_refused(tmp_path: Path) -> None:
    """SQLite only: a PostgreSQL server does not let a client damage its files."""
    settings = load_settings(db_url=f"sqlite:///{tmp_path / 'registro.db'}",
                             data_dir=tmp_path / "dati", chiave_pseudonimi="chiave-di-prova")
    engine = make_engine(settings.db_url)
    migrate(engine)
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [riga(f"P{i}") for i in range(2000)]),
           engine=engine, settings=settings)
    engine.dispose()
    con = sqlite3.connect(tmp_path / "registro.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    _danneggia_nel_mezzo(tmp_path / "registro.db")
    danneggiato = (tmp_path / "registro.db").read_bytes()
    vecchio = tmp_path / "ieri.backup"
    vecchio.write_bytes(b"SQLite format 3\x00 the backup of yesterday")
    for out in (tmp_path / "oggi.backup", vecchio):
        res = _cli(settings, "backup", "--out", str(out))
        _rifiutato(res, "danneggiato")
    assert not (tmp_path / "oggi.backup").exists()
    assert vecchio.read_bytes() == b"SQLite format 3\x00 the backup of yesterday"
    assert not list(tmp_path.glob("*.tmp*"))
    assert (tmp_path / "registro.db").read_bytes() == danneggiato
