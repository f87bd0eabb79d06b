"""Operators can't hurt the register by accident: `--db` takes a path or a URL and every wrong
one is one `errore:` line (every command, enumerated from the Typer app); a missing register
is never created empty; the pseudonym key belongs to the register."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from supporto.prenotazioni import riga, scrivi_export

from servizio.cli import principale

NON_APRONO = {("init",), ("demo",), ("synth",), ("restore",)}
"""Commands that make a register or do without one: a missing file is not an error there."""


def _comandi() -> Iterator[tuple[list[str], Any]]:
    def visita(cmd: Any, percorso: list[str]) -> Iterator[tuple[list[str], Any]]:
        if hasattr(cmd, "commands"):
            if percorso and getattr(cmd, "invoke_without_command", False):
                yield percorso, cmd
            for nome, sotto in cmd.commands.items():
                yield from visita(sotto, [*percorso, nome])
        else:
            yield percorso, cmd
    yield from visita(typer.main.get_command(principale.app), [])


COMANDI = [p for p, _ in _comandi()]


def _argomenti(percorso: list[str], file: Path) -> list[str]:
    """The command with its required arguments and options filled with valid values, so
    that what stops it is the register, not its own arguments."""
    cmd = dict((tuple(p), c) for p, c in _comandi())[tuple(percorso)]
    args = list(percorso)
    for param in cmd.params:
        if not param.required:
            continue
        desc = param.type_descriptor
        if desc.choices:
            valore = str(desc.choices[0].value)
        elif desc.annotation is int:
            valore = "1"
        elif desc.annotation is Path:
            valore = str(file)
        elif param.name == "period":
            valore = "2025"
        else:
            valore = "prova"
        args += [valore] if type(param).__name__ == "TyperArgument" else [param.opts[0], valore]
    if percorso == ["motiva"]:
        args += ["--prenotazione", "P1"]
    return args


def _esegui(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            args: list[str]) -> tuple[int, str]:
    """`registro ARGS` in this process, through the real entry point (`main`)."""
    from registro import riservato

    monkeypatch.setattr(riservato, "applica_umask", lambda: None)
    monkeypatch.setattr(sys, "argv", ["registro", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as uscita:
        principale.main()
    return int(uscita.value.code or 0), capsys.readouterr().err


@pytest.fixture
def cartella(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for nome in ("REGISTRO_DB_URL", "REGISTRO_DATA_DIR", "REGISTRO_CHIAVE_PSEUDONIMI",
                 "REGISTRO_CONFIG"):
        monkeypatch.delenv(nome, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.csv").write_text("codice\n", encoding="utf-8")
    (tmp_path / "non-sqlite.db").write_bytes(b"questo non \xe8 un database\n" * 10)
    (tmp_path / "una-cartella").mkdir()
    return tmp_path


SBAGLIATI = {
    "cartella": ("una-cartella", "è una cartella"),
    "file non sqlite": ("non-sqlite.db", "non è un database SQLite"),
    "schema mysql": ("mysql://utente@host/registro", "database non supportato: mysql"),
    "driver sconosciuto": ("postgresql+asyncpg://h/db", "database non supportato"),
    "url illeggibile": ("postgresql+psycopg://u@h:porta/db", "indirizzo del registro non valido"),
    "spazzatura": ("non è un url://", "indirizzo del registro non valido"),
}


@pytest.mark.parametrize("percorso", COMANDI, ids=" ".join)
@pytest.mark.parametrize("tipo", sorted(SBAGLIATI))
def test_every_command_refuses_every_wrong_db_in_one_line(
        cartella: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        percorso: list[str], tipo: str) -> None:
    db, frammento = SBAGLIATI[tipo]
    codice, err = _esegui(monkeypatch, capsys, ["--db", db, *_argomenti(percorso,
                                                                          cartella / "file.csv")])
    righe = [r for r in err.splitlines() if r.strip()]
    assert codice == 2, err
    assert len(righe) == 1 and righe[0].startswith("errore:"), err
    assert frammento in righe[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("percorso", [p for p in COMANDI if tuple(p) not in NON_APRONO],
                         ids=" ".join)
def test_every_command_on_a_missing_register_stops_and_creates_nothing(
        cartella: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        percorso: list[str]) -> None:
    codice, err = _esegui(monkeypatch, capsys, ["--db", "manca/registro.db",
                                                *_argomenti(percorso, cartella / "file.csv")])
    assert codice == 2, err
    assert err.strip().splitlines() == [
        f"errore: registro non trovato: {cartella / 'manca' / 'registro.db'} (si crea con "
        "`registro init`)"]
    assert not (cartella / "manca").exists()


def test_default_register_missing_in_the_current_folder(
        cartella: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No --db and no REGISTRO_DB_URL: `registro.db` here; `monitoring` used to create it
    empty and answer "0 voci"."""
    codice, err = _esegui(monkeypatch, capsys, ["monitoring", "--out", "m.csv"])
    assert codice == 2 and "registro non trovato" in err
    assert not (cartella / "registro.db").exists() and not (cartella / "m.csv").exists()


def _registro(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    ambiente = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                          text=True, env=ambiente, cwd=cwd,
                          timeout=300)


def test_the_key_belongs_to_the_register(tmp_path: Path) -> None:
    """A path for --db (a traceback before), the data folder beside the register whatever
    the current folder, one pseudonym per codice fiscale, and a command run with another
    key refused in one line."""
    (tmp_path / "altrove").mkdir()
    db = tmp_path / "asl" / "registro.db"
    res = _registro(tmp_path, "--db", "asl/registro.db", "init")
    assert res.returncode == 0, res.stderr
    key = tmp_path / "asl" / "registro_dati" / "chiave_pseudonimi"
    assert key.is_file() and f"chiave dei pseudonimi: {key}" in res.stdout
    cf = "RSSMRA80A01H501U"
    primo = scrivi_export(tmp_path / "primo.csv", [riga("P1", id_assistito=cf)])
    scrivi_export(tmp_path / "altrove" / "secondo.csv",
                  [riga("P2", id_assistito=cf.lower())])
    res = _registro(tmp_path, "--db", str(db), "ingest", str(primo), "--json")
    assert res.returncode == 0, res.stderr
    # From another folder: the same key, found beside the register.
    res = _registro(tmp_path / "altrove", "--db", str(db), "ingest", "secondo.csv", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["pseudonimizzati"] == 1
    assert not (tmp_path / "altrove" / "registro_dati").exists()

    import sqlite3

    with sqlite3.connect(db) as conn:
        pseudonimi = {r[0] for r in conn.execute("SELECT id_assistito FROM prenotazione")}
    assert len(pseudonimi) == 1 and cf not in pseudonimi.pop()

    # Another key (a setting, or another data folder holding one): refused, nothing written.
    terzo = scrivi_export(tmp_path / "terzo.csv", [riga("P3", id_assistito=cf)])
    altra = tmp_path / "altri_dati"
    altra.mkdir()
    (altra / "chiave_pseudonimi").write_text("un'altra chiave\n")
    for env in ({"REGISTRO_CHIAVE_PSEUDONIMI": "altra"}, {"REGISTRO_DATA_DIR": str(altra)}):
        for args in (("ingest", str(terzo)), ("stats", "--period", "2026", "--out", "s.csv")):
            res = _registro(tmp_path, "--db", str(db), *args, **env)
            assert res.returncode == 2, res.stderr
            righe = res.stderr.strip().splitlines()
            assert len(righe) == 1 and "non è quella del registro" in righe[0], res.stderr
    # A data folder without the key: refused, and no new key is made there.
    vuota = tmp_path / "vuota"
    res = _registro(tmp_path, "--db", str(db), "ingest", str(terzo),
                    REGISTRO_DATA_DIR=str(vuota))
    assert res.returncode == 2 and "chiave dei pseudonimi non trovata" in res.stderr
    assert not (vuota / "chiave_pseudonimi").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM prenotazione").fetchone() == (2,)
