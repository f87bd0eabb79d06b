"""Several uploads at once through the real server (uvicorn on loopback), with readers and
`/health` polling meanwhile: every file lands exactly once, the register is intact, nothing
answers 5xx, the server is still there. On SQLite and PostgreSQL.

On SQLite this corrupted the register ("database disk image is malformed", "freelist leaf
count too big") or killed the server: the ingest wrote through the ADBC driver's SQLite
while request threads opened and closed `sqlite3` connections on the same file, and closing
a descriptor drops every POSIX lock the process holds on the file, the ingest's write lock
included (registro.db, "one SQLite library at a time"). The race showed about one run in
three, so each test runs several rounds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.synthetic import genera_prenotazioni
from registro.db import transazione
from registro.settings import Settings
from servizio.api import service

RIGHE = 12_000
FILE_PER_GIRO = 3
GIRI = 3
LETTORI = 4


def _porta_libera() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _avvia_server(settings: Settings, porta: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REGISTRO_DB_URL": settings.db_url,
           "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave-di-prova"}
    proc = subprocess.Popen([sys.executable, "-m", "servizio.cli", "serve", "--port",
                             str(porta)], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    fine = time.monotonic() + 60
    while time.monotonic() < fine:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{porta}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("il server non risponde: " + log.read_text(errors="replace"))


def _giro(base: str, cup: str, lettura: str, files: list[Path]
          ) -> tuple[Counter[int], list[str], list[dict[str, object]]]:
    """Upload `files` at once while LETTORI clients page through the bookings and one polls
    /health; returns the status counts, the 5xx seen, the ingest summaries."""
    stati: Counter[int] = Counter()
    errori: list[str] = []
    esiti: list[dict[str, object]] = []
    finito = threading.Event()
    blocco = threading.Lock()

    def annota(risposta: httpx.Response, cosa: str) -> None:
        with blocco:
            stati[risposta.status_code] += 1
            if risposta.status_code >= 500:
                errori.append(f"{cosa}: {risposta.status_code} {risposta.text[:200]}")

    def carica(path: Path) -> None:
        with path.open("rb") as fh:
            r = httpx.post(f"{base}/ingest", files={"file": (path.name, fh)},
                           headers={"Authorization": f"Bearer {cup}"}, timeout=300)
        annota(r, f"POST /ingest {path.name}")
        if r.status_code == 200:
            with blocco:
                esiti.append(r.json())

    def leggi() -> None:
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {lettura}"}) as c:
            while not finito.is_set():
                annota(c.get("/prenotazioni", params={"per_pagina": 100}), "GET /prenotazioni")

    def salute() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not finito.is_set():
                annota(c.get("/health"), "GET /health")
                time.sleep(0.05)

    lettori = [threading.Thread(target=leggi) for _ in range(LETTORI)]
    lettori.append(threading.Thread(target=salute))
    carichi = [threading.Thread(target=carica, args=(f,)) for f in files]
    for t in lettori + carichi:
        t.start()
    for t in carichi:
        t.join(timeout=600)
    finito.set()
    for t in lettori:
        t.join(timeout=120)
    return stati, errori, esiti


@pytest.mark.slow
def test_uploads_at_once_through_the_server(engine: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    with transazione(engine) as session:
        cup = service.crea_token(session=session, nome="cup", ruolo="cup")
        lettura = service.crea_token(session=session, nome="lettura", ruolo="lettura")
    tutte = genera_prenotazioni(RIGHE * FILE_PER_GIRO * GIRI, seed=18)
    files = []
    for i in range(FILE_PER_GIRO * GIRI):
        f = tmp_path / f"cup_{i}.csv"
        tutte.slice(i * RIGHE, RIGHE).write_csv(f)
        files.append(f)

    porta = _porta_libera()
    base = f"http://127.0.0.1:{porta}"
    log = tmp_path / "server.log"
    proc = _avvia_server(settings, porta, log)
    try:
        for giro in range(GIRI):
            stati, errori, esiti = _giro(
                base, cup, lettura, files[giro * FILE_PER_GIRO:(giro + 1) * FILE_PER_GIRO])
            assert proc.poll() is None, "il server è morto: " + log.read_text(errors="replace")
            assert not errori, errori[:5]
            assert len(esiti) == FILE_PER_GIRO, (stati, log.read_text(errors="replace")[-2000:])
            assert all(e["nuove"] == RIGHE and e["scartate"] == 0 for e in esiti), esiti
            assert stati[200] > FILE_PER_GIRO, stati  # the readers did read meanwhile
            with engine.connect() as conn:
                if engine.dialect.name == "sqlite":
                    assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                n = conn.execute(text("SELECT COUNT(*) FROM prenotazione")).scalar()
                storia = conn.execute(text("SELECT COUNT(*) FROM prenotazione_storia")).scalar()
                runs = conn.execute(text(
                    "SELECT COUNT(*) FROM ingest_run WHERE stato = 'completato'")).scalar()
            atteso = RIGHE * FILE_PER_GIRO * (giro + 1)
            # distinct new bookings: nothing superseded, the history stays empty
            assert (n, storia, runs) == (atteso, 0, FILE_PER_GIRO * (giro + 1))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
