# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""Simultaneous state changes through the API, on both databases: of N requests that start
together (a barrier) on the same sanction or the same segnalazione, exactly one wins and
the others get 409 — the state machine holds under concurrency (issue 18, item 4)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from supporto.api import audit, auth, client, errore, registro_api, sanzione, tokens  # noqa: F401

N = 8
GIRI = 3


def _insieme(n: int, richiesta: Any) -> list[Any]:
    """Run `richiesta(i)` in n threads released together by a barrier."""
    barriera = threading.Barrier(n)

    def uno(i: int) -> Any:
        barriera.wait()
        return richiesta(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(uno, range(n)))


def test_one_of_n_simultaneous_sanction_changes_wins(client: TestClient,
                                                     tokens: dict[str, str],
                                                     registro_api: Engine) -> None:
    bonum = sanzione(registro_api, "RIN", "bonum").id
    assert bonum is not None
    # both final: whichever wins, every other request meets a final state (409), on any
    # serial order too — so the test asks exactly what the state machine promises
    destinazioni = [{"stato": "pagato"}, {"stato": "annullato", "motivo": "Errore di emissione"}]
    for giro in range(GIRI):
        with registro_api.begin() as conn:  # back to the start for each round
            conn.execute(text("UPDATE sanzione SET stato = 'notificato', annullata_il = NULL, "
                              "motivo_annullamento = NULL WHERE id = :id"), {"id": bonum})
        prima = len(audit(registro_api))
        risposte = _insieme(N, lambda i: client.patch(
            f"/sanzioni/{bonum}", json=destinazioni[i % len(destinazioni)],
            headers=auth(tokens["upt"])))
        vinte = [r for r in risposte if r.status_code == 200]
        assert len(vinte) == 1, (giro, [r.status_code for r in risposte])
        for r in risposte:
            if r.status_code != 200:
                errore(r, 409)
        finale = sanzione(registro_api, "RIN", "bonum")
        assert finale.stato == vinte[0].json()["stato"]
        assert (finale.annullata_il is not None) == (finale.stato == "annullato")
        nuove = audit(registro_api)[prima:]
        assert len(nuove) == 1
        assert json.loads(nuove[0].prima or "{}")["stato"] == "notificato"
        assert json.loads(nuove[0].dopo or "{}")["stato"] == finale.stato


def test_one_of_n_simultaneous_steps_wins(client: TestClient, tokens: dict[str, str],
                                          registro_api: Engine) -> None:
    ricevuta = date.today() - timedelta(days=30)
    malum = sanzione(registro_api, "NOSHOW", "malum").id
    for giro in range(GIRI):
        with registro_api.begin() as conn:
            conn.execute(text("UPDATE sanzione SET stato = 'emesso', annullata_il = NULL, "
                              "motivo_annullamento = NULL WHERE id = :id"), {"id": malum})
        r = client.post("/segnalazioni", headers=auth(tokens["upt"]), json={
            "canale": "email", "tipo": "reclamo", "oggetto": "Contesto il malum",
            "ricevuta_il": ricevuta.isoformat(), "id_sanzione": malum})
        assert r.status_code == 201, r.text
        n = r.json()["id"]
        assert sanzione(registro_api, "NOSHOW", "malum").stato == "contestato"
        risposte = _insieme(N, lambda i, n=n: client.post(
            f"/segnalazioni/{n}/passi", headers=auth(tokens["upt"]),
            json={"passo": "risolta", "data": ricevuta.isoformat(),
                  "esito": "accolta" if i % 2 else "respinta"}))
        vinte = [r for r in risposte if r.status_code == 201]
        assert len(vinte) == 1, (giro, [r.status_code for r in risposte])
        for r in risposte:
            if r.status_code != 201:
                errore(r, 409)
        dettaglio = client.get(f"/segnalazioni/{n}", headers=auth(tokens["upt"])).json()
        assert [p["passo"] for p in dettaglio["passi"]] == ["ricevuta", "risolta"]
        esito = vinte[0].json()["esito"]
        assert dettaglio["esito"] == esito
        attesa = "annullato" if esito == "accolta" else "emesso"
        assert sanzione(registro_api, "NOSHOW", "malum").stato == attesa
        mosse = [a for a in audit(registro_api)
                 if a.risorsa == "sanzione" and a.azione == f"POST /segnalazioni/{n}/passi"]
        assert len(mosse) == 1
