"""The pseudonym key belongs to the register (both databases): its fingerprint is recorded at
the first use, another key is refused, a register with a fingerprint never gets a new key
made for it; a PostgreSQL database without the register's schema is not a register."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cup import pseudonimi
from registro.errors import ErroreUtente
from registro.settings import Settings


def test_fingerprint_recorded_once_and_another_key_refused(engine: Engine, settings: Settings,
                                                           tmp_path: Path) -> None:
    assert pseudonimi.impronta_del_registro(engine) is None
    key = pseudonimi.chiave(settings, engine)
    assert pseudonimi.impronta_del_registro(engine) == pseudonimi.impronta(key)
    assert pseudonimi.chiave(settings, engine) == key    # the same key, again: fine
    altra = settings.model_copy(update={"chiave_pseudonimi": "un'altra chiave"})
    with pytest.raises(ErroreUtente, match="non è quella del registro"):
        pseudonimi.chiave(altra, engine)
    with pytest.raises(ErroreUtente, match="non è quella del registro"):
        pseudonimi.verifica_chiave(altra, engine)
    senza = settings.model_copy(update={"chiave_pseudonimi": None,
                                        "data_dir": tmp_path / "vuota"})
    with pytest.raises(ErroreUtente, match="chiave dei pseudonimi non trovata"):
        pseudonimi.chiave(senza, engine)
    assert not (tmp_path / "vuota" / "chiave_pseudonimi").exists()
    pseudonimi.verifica_chiave(senza, engine)   # no key at hand: only its users are refused


def test_the_fingerprint_tells_nothing_of_the_key() -> None:
    assert pseudonimi.impronta(b"segreto") != pseudonimi.impronta(b"segreto2")
    assert "segreto" not in pseudonimi.impronta(b"segreto") and len(
        pseudonimi.impronta(b"segreto")) == 16


@pytest.mark.postgres
def test_postgres_database_without_the_schema_is_not_a_register(tmp_path: Path) -> None:
    import psycopg
    from conftest import PG_ADMIN, _pg_url

    nome = f"registro_vuoto_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {nome}")
    try:
        env = {"PATH": "/usr/bin:/bin", "REGISTRO_CHIAVE_PSEUDONIMI": "chiave"}

        def registro(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "servizio.cli", "--db", _pg_url(nome),
                                   *args], capture_output=True, text=True, env=env,
                                  cwd=tmp_path, timeout=300)

        res = registro("sanzioni", "--out", "s.csv")
        assert res.returncode == 2, res.stderr
        assert res.stderr.strip().splitlines() == [
            f"errore: registro non trovato: {_pg_url(nome)} (il database non ha lo schema del "
            "registro: si crea con `registro init`)"]
        assert not (tmp_path / "s.csv").exists()
        assert registro("init").returncode == 0
        res = registro("sanzioni", "--out", "s.csv")
        assert res.returncode == 0, res.stderr
        res = registro("--db", _pg_url(nome + "_manca"), "check")
        assert res.returncode == 2 and "registro non trovato" in res.stderr
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {nome} WITH (FORCE)")
