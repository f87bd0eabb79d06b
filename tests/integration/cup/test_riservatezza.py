"""No codice fiscale anywhere, however written (issue 18, items 3 and 9).

Files carrying two fictitious codici fiscali and an invented numeric one, in every spelling
of the bad-input corpus, go in through the CLI and through the API upload; then check,
stats, the public site and the reports run. The whole data folder (Parquet read, PDF
streams inflated), a dump of every table of the database and every output folder are then
searched for the codes with spaces, dots and dashes removed and upper-cased: none may be
found. Every file and folder in the data folder is owner-only.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from supporto import CARTELLA_TESTS

from cup import pseudonimi
from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest, prepara
from registro import riservato
from registro.db import transazione
from registro.settings import Settings, load_settings
from servizio.api import service
from servizio.api.app import create_app

BAD = CARTELLA_TESTS / "data" / "bad"
CODICI = ("RSSMRA80A01H501U", "VRDLGU75T12F205X", "12345678903")
VIA_CLI = ("codice_fiscale.csv", "codice_fiscale_spazi.csv", "codice_fiscale_numerico.csv",
           "codice_fiscale_json.jsonl")
VIA_API = ("codice_fiscale_minuscolo.csv", "codice_fiscale_testo_libero.csv")


def _normalizza(testo: str) -> str:
    return re.sub(r"[\s.\-]", "", testo).upper()


def _trovati(testo: str) -> set[str]:
    norma = _normalizza(testo)
    return {cf for cf in CODICI if cf in norma}


def _testi_file(path: Path) -> Iterator[str]:
    """A file's text as a reader would see it: Parquet cells and metadata, PDF streams
    inflated, anything else as bytes."""
    dati = path.read_bytes()
    yield dati.decode("latin-1")
    if dati[:4] == b"PAR1":
        tabella = pq.read_table(path)
        yield str(tabella.schema.metadata)
        for colonna in tabella.columns:
            yield " ".join(str(v) for v in colonna.to_pylist())
    for flusso in re.findall(rb"stream\r?\n(.*?)endstream", dati, re.S):
        yield _inflate(flusso)


def _inflate(flusso: bytes) -> str:
    try:
        return zlib.decompress(flusso).decode("latin-1")
    except zlib.error:
        return ""


def _dump(engine: Engine) -> Iterator[str]:
    """Every table's every value, as text (SQLite and PostgreSQL alike)."""
    with engine.connect() as conn:
        for tabella in inspect(engine).get_table_names():
            for riga in conn.execute(text(f'SELECT * FROM "{tabella}"')):
                yield f"{tabella}: " + " ".join(str(v) for v in riga)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def test_the_corpus_has_every_spelling() -> None:
    testo = " ".join((BAD / nome).read_text(encoding="utf-8") for nome in VIA_CLI + VIA_API)
    for scritto in ("RSS MRA 80A01 H501U", "rssmra80a01h501u", "12345678903",
                    '{"cf": "RSSMRA80A01H501U"}', "richiesta di RSS MRA"):
        assert scritto in testo


@pytest.mark.parametrize("nome", VIA_CLI + VIA_API)
def test_each_spelling_is_pseudonymised(nome: str) -> None:
    validi, scarti, righe, n = prepara(BAD / nome, None, ["89.7"], b"chiave")
    testo = " ".join([validi.write_csv(), scarti.write_csv()])
    assert not _trovati(testo), nome
    assert n > 0 and righe == validi.height + scarti["_riga"].n_unique()


def test_same_person_same_pseudonym_however_written() -> None:
    key = b"chiave"
    df = pl.DataFrame({"id_assistito": ["RSSMRA80A01H501U", "rssmra80a01h501u",
                                        "RSS MRA 80A01 H501U", " RSS-MRA-80A01-H501U "]})
    out, n = pseudonimi.pseudonimizza(df, "id_assistito", key)
    assert n == 4 and out["id_assistito"].unique().to_list() == [
        pseudonimi.pseudonimo("RSSMRA80A01H501U", key)]


def test_numeric_ids_rule() -> None:
    """An 11-digit id_assistito is hashed (it may be a numeric codice fiscale); other ids,
    and 11-digit codes in key columns, are kept."""
    df = pl.DataFrame({"id_assistito": ["12345678903", "A12345", "1234567890"],
                       "id_prenotazione": ["12345678903", "P2", "P3"]})
    out, n = pseudonimi.pseudonimizza(df, "id_assistito", b"k")
    assert n == 1
    assert out["id_assistito"].to_list()[1:] == ["A12345", "1234567890"]
    assert out["id_assistito"][0].startswith(pseudonimi.PREFISSO)
    assert out["id_prenotazione"].to_list() == ["12345678903", "P2", "P3"]


def test_a_killed_upload_is_removed_at_the_next_start(settings: Settings, engine: Engine,
                                                      tmp_path: Path) -> None:
    """A raw upload left by a killed server (no process holds its lock) goes; a live one
    (locked) stays."""
    base = Path(settings.data_dir) / "upload"
    morto = riservato.cartella(base / "ingest-morto")
    (morto / "file").mkdir()
    (morto / "file" / "cup.csv").write_text("RSSMRA80A01H501U\n", encoding="utf-8")
    with riservato.cartella_di_lavoro(base) as vivo:
        with TestClient(create_app(settings)):
            pass
        assert not morto.exists() and vivo.exists()


@pytest.mark.npm
def test_no_codice_fiscale_anywhere_and_owner_only_files(db_url: str, tmp_path: Path) -> None:
    dati = tmp_path / "dati"
    # no key in the settings: the register generates its own, into the data folder
    settings = load_settings(db_url=db_url, data_dir=dati)
    from registro.db import make_engine

    engine = make_engine(settings.db_url)
    try:
        importa_catalogo(catalogo_nazionale(), engine=engine)
        for nome in VIA_CLI:
            _cli(settings, "ingest", str(BAD / nome))
        with transazione(engine) as session:
            token = service.crea_token(session=session, nome="cup", ruolo="cup")
        with TestClient(create_app(settings)) as client:
            for nome in VIA_API:
                r = client.post("/ingest", headers={"Authorization": f"Bearer {token}"},
                                files={"file": (nome, (BAD / nome).read_bytes())})
                assert r.status_code == 200, r.text
                assert not _trovati(r.text)
        uscite = tmp_path / "uscite"
        _cli(settings, "check", "--al", "2026-03-31")
        _cli(settings, "stats", "--period", "2026", "--out", str(uscite / "stats.csv"))
        _cli(settings, "site", "build", "--out", str(uscite / "sito"), "--period", "2026")
        _cli(settings, "report", "direzione", "--al", "2026-03-31", "--out",
             str(uscite / "direzione"))
        _cli(settings, "report", "osservatorio", "--period", "2026-03", "--out",
             str(uscite / "osservatorio"))

        assert (dati / "chiave_pseudonimi").exists()
        archivi = list((dati / "archivio").rglob("*.parquet"))
        assert len(archivi) == len(VIA_CLI) + len(VIA_API)
        trovati: dict[str, set[str]] = {}
        for radice in (dati, uscite):
            for path in radice.rglob("*"):
                if path.is_file():
                    for testo in _testi_file(path):
                        if _trovati(testo):
                            trovati.setdefault(str(path), set()).update(_trovati(testo))
        for riga in _dump(engine):
            if _trovati(riga):
                trovati.setdefault("database", set()).add(riga[:200])
        assert not trovati

        larghi = [f"{p} {stat.filemode(p.stat().st_mode)}" for p in (dati, *dati.rglob("*"))
                  if p.stat().st_mode & 0o077]
        assert not larghi
        # nothing of an upload or a spill left behind
        assert not list((dati / "upload").glob("ingest-*"))
        assert not list((dati / "lavoro").glob("ingest-*"))
    finally:
        engine.dispose()


def test_archive_keeps_no_dropped_column(engine: Engine, settings: Settings,
                                         tmp_path: Path) -> None:
    """A column the mapping does not name (a name, an age) is not archived."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    src = tmp_path / "vendor.csv"
    src.write_text("Id,Booked,When,Site,Missed,Patient,Nome\n"
                   "10,2026-01-05T08:00,2026-01-09T00:00,Centro,Yes,X1,Mario Rossi\n",
                   encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[colonne]\nid_prenotazione = "Id"\ndata_prenotazione = "Booked"\n'
        'data_appuntamento = "When"\ncodice_sede = "Site"\nstato = "Missed"\n'
        'id_assistito = "Patient"\n[valori.stato]\n"Yes" = "non_presentato"\n'
        '[costanti]\ncodice_prestazione = "89.7"\n', encoding="utf-8")
    esito = ingest(src, engine=engine, settings=settings, mapping=mapping)
    archivio = Path(esito.archiviato_in)
    assert "Nome" not in pq.read_schema(archivio).names
    assert b"Mario Rossi" not in archivio.read_bytes()
    assert not os.stat(archivio).st_mode & 0o077
