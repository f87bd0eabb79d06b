"""Bounded load test of the API from a second process, on loopback only.

Starts `registro serve` on a demo database (127.0.0.1, a free port), creates a `lettura`
token, then for DURATA seconds keeps CONNESSIONI concurrent httpx connections busy with
`GET /stats?period=2025` and `GET /prenotazioni?sede=…&pagina=…`, and prints requests/s and
p50/p99 latency per endpoint. Not a pytest benchmark: run it by hand.

    .venv/bin/registro demo --out /tmp/demo_api
    .venv/bin/python benchmarks/load_api.py --db /tmp/demo_api/registro.db --durata 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from registro.db import make_engine, transazione
from servizio.api import service

BIN = Path(sys.executable).parent


def _porta_libera() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _registro(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "registro"), "--db", db, *args], check=True,
                          capture_output=True, text=True)


def _token(db: str) -> str:
    engine = make_engine(db)
    with transazione(engine) as session:
        token = service.crea_token(session=session, nome=f"carico-{os.getpid()}",
                                   ruolo="lettura")
    engine.dispose()
    return token


def _percentile(valori: list[float], q: float) -> float:
    ordinati = sorted(valori)
    return ordinati[max(0, min(len(ordinati) - 1, round(q * len(ordinati)) - 1))]


async def _carico(base: str, token: str, durata: float, connessioni: int,
                  sedi: list[str]) -> dict[str, list[float]]:
    tempi: dict[str, list[float]] = {"stats": [], "prenotazioni": [], "errori": []}
    limiti = httpx.Limits(max_connections=connessioni, max_keepalive_connections=connessioni)
    fine = time.perf_counter() + durata
    async with httpx.AsyncClient(base_url=base, limits=limiti, timeout=120,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def lavoratore(n: int) -> None:
            rnd = random.Random(n)
            while time.perf_counter() < fine:
                if rnd.random() < 0.5:
                    nome, url = "stats", "/stats?period=2025"
                else:
                    nome = "prenotazioni"
                    url = (f"/prenotazioni?sede={rnd.choice(sedi)}&pagina={rnd.randint(1, 50)}"
                           "&per_pagina=50")
                t0 = time.perf_counter()
                r = await client.get(url)
                dt = time.perf_counter() - t0
                tempi[nome if r.status_code == 200 else "errori"].append(dt)

        await asyncio.gather(*(lavoratore(i) for i in range(connessioni)))
    return tempi


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", default="/tmp/demo_api/registro.db", help="demo SQLite file")
    ap.add_argument("--durata", type=float, default=20.0, help="seconds of load")
    ap.add_argument("--connessioni", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = ap.parse_args()

    if not Path(args.db).exists():
        sys.exit(f"{args.db} non esiste: eseguire prima `registro demo --out DIR`")
    # work on a copy: the benchmark adds a token and must not touch the demo
    copia = Path(args.db).with_name("registro_load.db")
    shutil.copyfile(args.db, copia)
    db = f"sqlite:///{copia}"
    _registro(db, "init")
    token = _token(db)

    # the same app `registro serve` runs, through uvicorn's factory entry point
    porta = _porta_libera()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "servizio.api.app:app_da_ambiente", "--factory",
         "--host", "127.0.0.1", "--port", str(porta), "--workers", str(args.workers),
         "--log-level", "warning"],
        env={**os.environ, "REGISTRO_DB_URL": db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{porta}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("il server non è partito")
        sedi = ["S001", "S002", "S003", "S004"]
        # warm-up: one of each
        httpx.get(f"{base}/stats?period=2025", headers={"Authorization": f"Bearer {token}"},
                  timeout=120)
        t0 = time.perf_counter()
        tempi = asyncio.run(_carico(base, token, args.durata, args.connessioni, sedi))
        trascorso = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
        copia.unlink(missing_ok=True)
        for suffisso in ("-wal", "-shm"):
            Path(f"{copia}{suffisso}").unlink(missing_ok=True)

    totale = sum(len(v) for k, v in tempi.items() if k != "errori")
    print(f"durata {trascorso:.1f} s, {args.connessioni} connessioni, "
          f"{args.workers} worker: {totale / trascorso:.1f} richieste/s, "
          f"{len(tempi['errori'])} errori")
    for nome in ("stats", "prenotazioni"):
        v = tempi[nome]
        if v:
            print(f"  GET /{nome}: {len(v)} richieste, {len(v) / trascorso:.1f}/s, "
                  f"p50 {_percentile(v, 0.5) * 1000:.0f} ms, "
                  f"p99 {_percentile(v, 0.99) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
