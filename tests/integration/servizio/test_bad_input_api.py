# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""Bad input through the API and the CLI (issue 18): a 4xx with the common body, or one
`errore:` line and exit 2, never a 500 or a traceback; nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from supporto import CARTELLA_TESTS
from supporto.api import (  # noqa: F401
    auth,
    client,
    errore,
    registro_api,
    sanzione,
    tokens,
)

from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.models import Motivazione
from registro.motivazioni import registra
from registro.settings import Settings

BAD = CARTELLA_TESTS / "data" / "bad"


def _motivazioni(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Motivazione)).one())


@pytest.mark.parametrize("campo", ["testo", "riferimento"])
def test_nul_in_a_motivazione_is_422(client: TestClient, tokens: dict[str, str],
                                     registro_api: Engine, campo: str) -> None:
    corpo = {"registro": "prestazioni", "riferimento": "OLTRE", "testo": "carenza"}
    corpo[campo] += "\x00x"
    errore(client.post("/motivazioni", json=corpo, headers=auth(tokens["direzione"])), 422)
    assert _motivazioni(registro_api) == 0


def test_nul_in_a_sanction_motivo_is_422(client: TestClient, tokens: dict[str, str],
                                         registro_api: Engine) -> None:
    bonum = sanzione(registro_api, "RIN", "bonum")
    r = client.patch(f"/sanzioni/{bonum.id}", json={"stato": "annullato", "motivo": "a\x00b"},
                     headers=auth(tokens["direzione"]))
    errore(r, 422)
    assert sanzione(registro_api, "RIN", "bonum").stato == "emesso"


def test_nul_in_a_motivazione_from_the_cli_path(registro_api: Engine) -> None:
    """`registro motiva` calls `registra`: its flags reach the database through it."""
    for kw in ({"testo": "a\x00b", "riferimento": "OLTRE"},
               {"testo": "carenza", "riferimento": "OL\x00TRE"}):
        with session_scope(registro_api) as s, pytest.raises(ErroreUtente, match="NUL"):
            registra(session=s, registro="prestazioni", autore="Direzione", **kw)
    assert _motivazioni(registro_api) == 0


@pytest.mark.parametrize("nome, messaggio", [
    ("mapping_colonne_testo.toml", "[colonne] deve essere una tabella"),
    ("mapping_valori_numero.toml", "[valori.stato] deve essere una tabella"),
    ("mapping_annidato.toml", "annidamento troppo profondo"),
])
def test_malformed_mapping_upload_is_422(client: TestClient, tokens: dict[str, str],
                                         nome: str, messaggio: str) -> None:
    with open(BAD / "crlf.csv", "rb") as fh, open(BAD / nome, "rb") as mh:
        r = client.post("/ingest", headers=auth(tokens["cup"]),
                        files={"file": ("crlf.csv", fh), "mapping": (nome, mh)})
    body = errore(r, 422)
    assert messaggio in body["dettaglio"]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("argomenti", [
    ("nul_dopo_64k.csv",),
    ("crlf.csv", "--mapping", str(BAD / "mapping_colonne_testo.toml")),
    ("crlf.csv", "--mapping", str(BAD / "mapping_valori_numero.toml")),
    ("crlf.csv", "--mapping", str(BAD / "mapping_annidato.toml")),
])
def test_cli_gives_one_error_line_and_exit_2(settings: Settings,
                                             argomenti: tuple[str, ...]) -> None:
    r = _cli(settings, "ingest", str(BAD / argomenti[0]), *argomenti[1:])
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("errore:") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _parquet_che_si_espande(path: Path, righe: int, distinti: bool = False) -> Path:
    """A few KB of Parquet that expand to `righe` rows (the same row again and again;
    `distinti`: with a long distinct text in each, for the uncompressed size)."""
    import polars as pl
    from supporto.prenotazioni import riga

    df = pl.DataFrame([riga("X1")]).select(pl.all().repeat_by(righe).explode())
    if distinti:
        df = df.with_columns(causale_annullamento=pl.int_range(righe).cast(pl.String)
                             .str.pad_start(100, "x"))
    df.write_parquet(path, compression="zstd")
    return path


def test_upload_expanding_past_the_limits_is_413(client: TestClient, tokens: dict[str, str],
                                                 registro_api: Engine, settings: Settings,
                                                 tmp_path: Path) -> None:
    """Issue 18, item 7: the upload limit counted compressed bytes only."""
    path = _parquet_che_si_espande(tmp_path / "bomba.parquet", settings.api_righe_massime_file
                                   + 1)
    assert path.stat().st_size < 1024 * 1024
    with open(path, "rb") as fh:
        r = client.post("/ingest", headers=auth(tokens["cup"]),
                        files={"file": ("bomba.parquet", fh)})
    body = errore(r, 413)
    assert "supera i limiti (più di 2.000.000 righe)" in body["dettaglio"]
    assert "bomba.parquet" in body["dettaglio"] and str(tmp_path) not in body["dettaglio"]


@pytest.mark.parametrize("limiti, messaggio", [
    ({"righe_massime_file": 1000}, "più di 1.000 righe"),
    ({"mb_massimi_decompressi": 1}, "decompresso, il massimo è 1 MB"),
])
def test_ingest_limits_apply_to_parquet_and_csv(registro_api: Engine, settings: Settings,
                                                tmp_path: Path, limiti: dict[str, int],
                                                messaggio: str) -> None:
    from cup.ingest import ingest
    from registro.errors import FileTroppoGrande
    from registro.models import IngestRun

    with Session(registro_api) as s:
        prima = int(s.exec(select(func.count()).select_from(IngestRun)).one())
    stretto = settings.model_copy(update=limiti)
    path = _parquet_che_si_espande(tmp_path / "grande.parquet", 50_000, distinti=True)
    with pytest.raises(FileTroppoGrande, match=messaggio):
        ingest(path, engine=registro_api, settings=stretto)
    if "righe_massime_file" in limiti:  # a CSV is counted while it is read
        import polars as pl
        csv = tmp_path / "grande.csv"
        pl.read_parquet(path).write_csv(csv)
        with pytest.raises(FileTroppoGrande, match=messaggio):
            ingest(csv, engine=registro_api, settings=stretto)
    with Session(registro_api) as s:
        assert int(s.exec(select(func.count()).select_from(IngestRun)).one()) == prima


@pytest.mark.parametrize(("percorso", "parametro"), [
    ("/monitoring", "al"), ("/sanzioni", "dal"), ("/sanzioni", "al"),
    ("/segnalazioni", "dal"), ("/segnalazioni", "al")])
@pytest.mark.parametrize("valore", ["0000", "0", "1700000000", "15/03/2026", "2026-3-5"])
def test_a_date_is_only_aaaa_mm_gg(client: TestClient, tokens: dict[str, str],
                                   percorso: str, parametro: str, valore: str) -> None:
    """Before, `/monitoring?al=0000` answered for 1 January 1970 (seconds since the epoch)."""
    r = client.get(percorso, params={parametro: valore}, headers=auth(tokens["direzione"]
                   if percorso != "/segnalazioni" else tokens["upt"]))
    assert "AAAA-MM-GG" in str(errore(r, 422))
    ok = client.get(percorso, params={parametro: "2026-03-15"}, headers=auth(
        tokens["direzione"] if percorso != "/segnalazioni" else tokens["upt"]))
    assert ok.status_code == 200


def test_a_segnalazione_date_in_the_body_is_only_aaaa_mm_gg(
        client: TestClient, tokens: dict[str, str]) -> None:
    corpo = {"canale": "lettera", "tipo": "reclamo", "oggetto": "attesa",
             "ricevuta_il": 1700000000}
    r = client.post("/segnalazioni", json=corpo, headers=auth(tokens["upt"]))
    assert "AAAA-MM-GG" in str(errore(r, 422))
