# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""`/segnalazioni` on both databases: who may do what, the contact only for the UPT, the
steps and their 409s, a contested sanction through the API, the printable documents."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.api import audit, auth, client, errore, registro_api, sanzione, tokens  # noqa: F401
from supporto.tutela import CONTATTO, FRAMMENTI_CONTATTO

OGGI = date.today()
RICEVUTA = OGGI - timedelta(days=60)


def _corpo(**altro: Any) -> dict[str, Any]:
    return {"canale": "email", "tipo": "reclamo", "oggetto": "Attesa di 40 giorni",
            "ricevuta_il": RICEVUTA.isoformat(), "id_prenotazione": "OLTRE",
            "contatto": asdict(CONTATTO), **altro}


def _nuova(client: TestClient, tokens: dict[str, str], **altro: Any) -> dict[str, Any]:
    r = client.post("/segnalazioni", json=_corpo(**altro), headers=auth(tokens["upt"]))
    assert r.status_code == 201, r.text
    return dict(r.json())


def passo(client: TestClient, tokens: dict[str, str], n: int, passo: str, giorno: date,
           **altro: Any) -> Any:
    return client.post(f"/segnalazioni/{n}/passi", headers=auth(tokens["upt"]),
                       json={"passo": passo, "data": giorno.isoformat(), **altro})


def _trapela(testo: str) -> list[str]:
    return [f for f in FRAMMENTI_CONTATTO if f in testo]


@pytest.mark.parametrize("ruolo", ["direzione", "cup", "lettura"])
def test_only_the_upt_writes(client: TestClient, tokens: dict[str, str], registro_api: Engine,
                             ruolo: str) -> None:
    prima = len(audit(registro_api))
    r = client.post("/segnalazioni", json=_corpo(), headers=auth(tokens[ruolo]))
    dettaglio = errore(r, 403)["dettaglio"]
    if ruolo == "direzione":
        assert "upt" in dettaglio and "indipendente" in dettaglio
    n = _nuova(client, tokens)["id"]
    errore(passo(client, {"upt": tokens[ruolo]}, n, "trasmessa", RICEVUTA), 403)
    errore(client.get(f"/segnalazioni/{n}/documenti/scheda", headers=auth(tokens[ruolo])),
           403)
    errore(client.post("/segnalazioni", json=_corpo()), 401)
    assert len(audit(registro_api)) == prima + 1   # only the UPT's creation


def test_the_contact_is_for_the_upt_only(client: TestClient, tokens: dict[str, str]) -> None:
    creata = _nuova(client, tokens)
    assert creata["contatto"] == asdict(CONTATTO)      # the UPT sees what it wrote
    n = creata["id"]
    upt = client.get(f"/segnalazioni/{n}", headers=auth(tokens["upt"]))
    assert upt.status_code == 200 and upt.json()["contatto"] == asdict(CONTATTO)

    direzione = client.get(f"/segnalazioni/{n}", headers=auth(tokens["direzione"]))
    assert direzione.status_code == 200
    assert direzione.json()["contatto"] is None
    assert direzione.json()["oggetto"] == "Attesa di 40 giorni"
    elenco = client.get("/segnalazioni", headers=auth(tokens["direzione"]))
    assert elenco.status_code == 200 and elenco.json()["totale"] == 1
    assert "contatto" not in elenco.json()["elementi"][0]
    for ruolo in ("cup", "lettura"):
        for url in ("/segnalazioni", f"/segnalazioni/{n}"):
            errore(client.get(url, headers=auth(tokens[ruolo])), 403)
    # what the direzione's view and every non-UPT answer carry: never the contact
    for r in (direzione, elenco):
        assert not _trapela(r.text)
    assert _trapela(upt.text)          # the search above can find it when it is there


def test_steps_through_the_api(client: TestClient, tokens: dict[str, str],
                               registro_api: Engine) -> None:
    n = _nuova(client, tokens, data_conoscenza=(RICEVUTA - timedelta(days=16)).isoformat())
    assert n["tardiva"] is True and n["stato"] == "ricevuta"
    assert [x["termine"] for x in n["scadenze"]] == ["trasmissione", "risposta"]
    assert n["scadenze"][0]["scade_il"] == (RICEVUTA + timedelta(days=3)).isoformat()
    assert n["scadenze"][0]["in_ritardo"] is True    # 60 days ago, never transmitted
    numero = n["id"]

    body = errore(passo(client, tokens, numero, "risposta_inviata", RICEVUTA), 409)
    assert "si passa solo a: risolta, trasmessa" in body["dettaglio"]
    errore(passo(client, tokens, numero, "risolta", RICEVUTA), 422)         # no esito
    errore(passo(client, tokens, numero, "trasmessa", OGGI + timedelta(days=1)), 422)
    errore(passo(client, tokens, 99999, "trasmessa", RICEVUTA), 404)
    errore(client.post(f"/segnalazioni/{numero}/passi", headers=auth(tokens["upt"]),
                       json={"passo": "trasmessa", "sconosciuto": 1}), 422)

    giorni = {"trasmessa": 3, "servizi_informati": 6, "informazioni_ricevute": 13,
              "risposta_inviata": 30}
    for nome, k in giorni.items():
        extra = {"esito": "accolta", "nota": "Visita anticipata"} if nome == "risposta_inviata" \
            else {}
        r = passo(client, tokens, numero, nome, RICEVUTA + timedelta(days=k), **extra)
        assert r.status_code == 201, r.text
    fine = r.json()
    assert (fine["stato"], fine["esito_finale"]) == ("risposta_inviata", "accolta")
    assert all(x["nei_termini"] is True and x["in_ritardo"] is False for x in fine["scadenze"])
    assert [p["passo"] for p in fine["passi"]] == ["ricevuta", *giorni]
    assert fine["contatto"] == asdict(CONTATTO)

    righe = [a for a in audit(registro_api) if a.risorsa == "segnalazione"]
    assert [a.azione for a in righe] == ["POST /segnalazioni"] + [
        f"POST /segnalazioni/{numero}/passi"] * 4
    assert {(a.utente, a.ruolo) for a in righe} == {("utente-upt", "upt")}
    assert not _trapela(" ".join(f"{a.prima} {a.dopo}" for a in audit(registro_api)))

    ritardo = client.get("/segnalazioni", params={"in_ritardo": True},
                         headers=auth(tokens["direzione"]))
    assert ritardo.json()["totale"] == 0
    _nuova(client, tokens, tipo="suggerimento")
    ritardo = client.get("/segnalazioni", params={"in_ritardo": True, "tipo": "suggerimento"},
                         headers=auth(tokens["direzione"]))
    assert ritardo.json()["totale"] == 1


def test_a_contested_malum_through_the_api(client: TestClient, tokens: dict[str, str],
                                           registro_api: Engine) -> None:
    malum = sanzione(registro_api, "NOSHOW", "malum")
    n = _nuova(client, tokens, id_sanzione=malum.id, id_prenotazione=None)
    assert (n["id_prenotazione"], n["contesta_sanzione"]) == ("NOSHOW", True)
    assert sanzione(registro_api, "NOSHOW", "malum").stato == "contestato"
    errore(passo(client, tokens, n["id"], "risolta", RICEVUTA,
                  esito="parzialmente_accolta"), 422)
    r = passo(client, tokens, n["id"], "risolta", RICEVUTA, esito="accolta")
    assert r.status_code == 201
    assert r.json()["passi"][-1]["sanzione_stato"] == "annullato"
    annullato = client.get("/sanzioni", params={"id_prenotazione": "NOSHOW", "tipo": "malum"},
                           headers=auth(tokens["lettura"])).json()["elementi"][0]
    assert annullato["stato"] == "annullato"
    assert f"segnalazione n. {n['id']}" in annullato["motivo_annullamento"]
    # the sanction's audit shows the move by the UPT, on this request
    mossa = [a for a in audit(registro_api) if a.risorsa == "sanzione"][-1]
    assert (mossa.ruolo, mossa.azione) == ("upt", f"POST /segnalazioni/{n['id']}/passi")
    assert json.loads(mossa.prima or "{}")["stato"] == "contestato"


def test_printable_documents(client: TestClient, tokens: dict[str, str]) -> None:
    n = _nuova(client, tokens, canale="telefono")["id"]
    upt = auth(tokens["upt"])
    scheda = client.get(f"/segnalazioni/{n}/documenti/scheda", params={"formato": "html"},
                        headers=upt)
    assert scheda.status_code == 200 and scheda.headers["content-type"].startswith("text/html")
    assert "Scheda per la segnalazione di disfunzioni" in scheda.text
    assert CONTATTO.nome and CONTATTO.nome in scheda.text
    assert "☒ Telefonica" in scheda.text and "☒ Reclamo" in scheda.text
    body = errore(client.get(f"/segnalazioni/{n}/documenti/lettera", headers=upt), 409)
    assert "non ha ancora una risposta" in body["dettaglio"]
    assert passo(client, tokens, n, "risolta", RICEVUTA, esito="respinta",
                  nota="La prestazione era stata prenotata fuori garanzia.").status_code == 201
    pdf = client.get(f"/segnalazioni/{n}/documenti/lettera", headers=upt)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content[:5] == b"%PDF-"
    testo = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                           check=True).stdout.decode("utf-8")
    assert CONTATTO.nome in testo
    assert "non è stata accolta" in testo
    assert "impugnative in via giurisdizionale" in testo and "Difensore Civico" in testo
    assert "fuori garanzia" in testo
    errore(client.get(f"/segnalazioni/{n}/documenti/altro", headers=upt), 422)
    errore(client.get("/segnalazioni/99999/documenti/scheda", headers=upt), 404)
