# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""The API's read endpoints on both databases: filters, pagination, details, errors."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.api import auth, client, errore, registro_api, tokens  # noqa: F401

from registro.db import transazione
from registro.letture import leggi_prenotazioni
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.monitoring import calcola_lista
from reports.stats import COLONNE, tabella_prestazioni

LETTURE = ["/prenotazioni", "/prenotazioni/OK", "/ricoveri", "/ricoveri/RB",
           "/ricoveri/fuori-ordine", "/sanzioni", "/stats?period=2026", "/monitoring"]


@pytest.mark.parametrize("percorso", LETTURE)
def test_every_read_needs_a_valid_token_and_any_role(client: TestClient, tokens: dict[str, str],
                                                     percorso: str) -> None:
    r = client.get(percorso)
    assert errore(r, 401)["dettaglio"].startswith("serve un token")
    assert r.headers["www-authenticate"] == "Bearer"
    errore(client.get(percorso, headers=auth("non-un-token")), 401)
    errore(client.get(percorso, headers={"Authorization": "Basic dXRlbnRlOnB3"}), 401)
    for token in tokens.values():
        assert client.get(percorso, headers=auth(token)).status_code == 200


def test_revoked_token_is_refused(client: TestClient, tokens: dict[str, str],
                                  registro_api: Engine) -> None:
    from servizio.api import service

    assert client.get("/sanzioni", headers=auth(tokens["lettura"])).status_code == 200
    with transazione(registro_api) as session:
        assert service.revoca_token(session=session, nome="utente-lettura") == 1
    errore(client.get("/sanzioni", headers=auth(tokens["lettura"])), 401)


def test_prenotazioni_filters_and_pagination(client: TestClient, tokens: dict[str, str]) -> None:
    h = auth(tokens["lettura"])
    tutte = client.get("/prenotazioni", headers=h).json()
    assert tutte["totale"] == 5 and len(tutte["elementi"]) == 5
    ids = [e["id_prenotazione"] for e in tutte["elementi"]]
    assert ids == sorted(ids)

    pagine = [client.get("/prenotazioni", params={"per_pagina": 2, "pagina": p}, headers=h)
              .json() for p in (1, 2, 3, 4)]
    assert [p["totale"] for p in pagine] == [5, 5, 5, 5]
    assert [len(p["elementi"]) for p in pagine] == [2, 2, 1, 0]
    assert [e["id_prenotazione"] for p in pagine for e in p["elementi"]] == ids

    def trova(**params: object) -> list[str]:
        body = client.get("/prenotazioni", params=params, headers=h).json()
        assert body["totale"] == len(body["elementi"])
        return sorted(e["id_prenotazione"] for e in body["elementi"])

    assert trova(sede="S002") == ["NOSHOW", "RIN"]
    assert trova(superamento=True) == ["OLTRE"]
    assert trova(superamento="no", in_garanzia="yes") == ["NOSHOW", "OK", "RIN", "VECCHIA"]
    assert trova(classe="D") == ["OLTRE"]
    assert trova(stato="non_presentato") == ["NOSHOW"]
    assert trova(prestazione="89.7", periodo="2025") == ["VECCHIA"]
    assert trova(periodo="2026-H1") == ["NOSHOW", "OK", "OLTRE", "RIN"]
    assert trova(periodo="2026-H2") == []

    body = errore(client.get("/prenotazioni", params={"periodo": "2026-H3"}, headers=h), 422)
    assert "periodo non valido" in body["dettaglio"]
    body = errore(client.get("/prenotazioni", params={"per_pagina": 501}, headers=h), 422)
    assert body["dettaglio"][0]["campo"] == "per_pagina"
    errore(client.get("/prenotazioni", params={"classe": "X"}, headers=h), 422)
    errore(client.get("/prenotazioni", params={"pagina": 0}, headers=h), 422)


def test_prenotazione_detail_history_sanctions_money(client: TestClient,
                                                     tokens: dict[str, str]) -> None:
    h = auth(tokens["lettura"])
    v = client.get("/prenotazioni/VECCHIA", headers=h).json()
    assert [x["data_appuntamento"] for x in v["storia"]] == ["2025-06-05T09:00:00",
                                                              "2025-06-06T09:00:00"]
    assert v["data_appuntamento"] == "2025-06-06T09:00:00" and v["attesa_giorni"] == 4
    assert v["importo_ticket"] == "36.15" and v["storia"][0]["importo_ticket"] == "36.15"

    rin = client.get("/prenotazioni/RIN", headers=h).json()
    assert {(s["tipo"], s["importo"], s["stato"]) for s in rin["sanzioni"]} == {
        ("bonum", "25.82", "emesso"), ("rimborso_ticket", "36.15", "emesso")}
    noshow = client.get("/prenotazioni/NOSHOW", headers=h).json()
    assert noshow["importo_ticket"] == "0.00"
    oltre = client.get("/prenotazioni/OLTRE", headers=h).json()
    assert (oltre["superamento"], oltre["attesa_giorni"], oltre["standard_giorni"]) == (
        True, 10, 7)

    body = errore(client.get("/prenotazioni/NESSUNA", headers=h), 404)
    assert "NESSUNA" in body["dettaglio"]
    errore(client.get("/non-esiste", headers=h), 404)


def test_ricoveri_list_detail_and_out_of_order(client: TestClient,
                                               tokens: dict[str, str]) -> None:
    h = auth(tokens["upt"])
    body = client.get("/ricoveri", headers=h).json()
    assert body["totale"] == 3
    assert [e["id_ricovero"] for e in
            client.get("/ricoveri", params={"fuori_ordine": True}, headers=h).json()[
                "elementi"]] == ["RB"]
    assert client.get("/ricoveri", params={"classe": "C", "stato": "in_attesa"},
                      headers=h).json()["totale"] == 1
    assert client.get("/ricoveri", params={"per_pagina": 1, "pagina": 2},
                      headers=h).json()["elementi"][0]["id_ricovero"] == "RB"

    coppie = client.get("/ricoveri/fuori-ordine", headers=h).json()
    assert [(c["id_ricovero"], c["id_scavalcato"]) for c in coppie] == [("RB", "RA")]
    rb = client.get("/ricoveri/RB", headers=h).json()
    assert rb["fuori_ordine"] == 1 and len(rb["storia"]) == 1
    assert [c["id_scavalcato"] for c in rb["scavalcati"]] == ["RA"]
    assert client.get("/ricoveri/RA", headers=h).json()["scavalcati"] == []
    errore(client.get("/ricoveri/NESSUNO", headers=h), 404)


def test_sanzioni_filters(client: TestClient, tokens: dict[str, str]) -> None:
    h = auth(tokens["cup"])
    tutte = client.get("/sanzioni", headers=h).json()
    assert tutte["totale"] == 3
    assert all(isinstance(s["importo"], str) for s in tutte["elementi"])
    malum = client.get("/sanzioni", params={"tipo": "malum"}, headers=h).json()
    assert [(s["id_prenotazione"], s["importo"]) for s in malum["elementi"]] == [
        ("NOSHOW", "25.82")]
    assert client.get("/sanzioni", params={"id_prenotazione": "RIN", "per_pagina": 1},
                      headers=h).json()["totale"] == 2
    assert client.get("/sanzioni", params={"al": "2026-03-14"}, headers=h).json()[
        "totale"] == 0
    errore(client.get("/sanzioni", params={"stato": "boh"}, headers=h), 422)


def test_stats_are_the_cli_rows(client: TestClient, tokens: dict[str, str],
                                registro_api: Engine, settings: Settings) -> None:
    h = auth(tokens["lettura"])
    righe = client.get("/stats", params={"period": "2026"}, headers=h).json()
    attese = tabella_prestazioni(leggi_prenotazioni(registro_api).lazy(),
                                 profilo=carica_profilo("carta1995"),
                                 periodo=Periodo.parse("2026")).select(COLONNE).to_dicts()
    assert righe == attese and len(righe) == 2
    pngla = client.get("/stats", params={"period": "2026-Q1", "profilo": "pngla",
                                         "lettura": "ex_post"}, headers=h).json()
    assert {r["classe_priorita"] for r in pngla} <= {None, "D"}
    ric = client.get("/stats", params={"period": "2026", "registro": "ricoveri"},
                     headers=h).json()
    assert {r["codice_reparto"] for r in ric} == {"36.01"}
    assert sum(r["fuori_ordine"] for r in ric) == 1
    errore(client.get("/stats", headers=h), 422)
    errore(client.get("/stats", params={"period": "2026-13"}, headers=h), 422)


def test_monitoring_is_the_cli_list(client: TestClient, tokens: dict[str, str],
                                    registro_api: Engine, settings: Settings) -> None:
    h = auth(tokens["lettura"])
    righe = client.get("/monitoring", params={"al": "2026-03-15"}, headers=h).json()
    attese = calcola_lista(engine=registro_api, settings=settings, oggi=date(2026, 3, 15))
    assert righe == [{**r, "dal": r["dal"].isoformat() if r["dal"] else None}
                     for r in attese.to_dicts()]
    assert ("superamento_senza_motivazione", "OLTRE") in {(r["lista"], r["id"]) for r in righe}
    assert ("fuori_ordine_senza_motivazione", "RB") in {(r["lista"], r["id"]) for r in righe}


def test_health_without_token(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["database"] == "raggiungibile"
    assert body["ultimo_ingest"] is not None and body["ultima_costruzione_sito"] is None


def test_health_database_down(settings: Settings, tmp_path: object) -> None:
    from servizio.api.app import create_app

    guasto = settings.model_copy(update={
        "db_url": "postgresql+psycopg://nessuno@127.0.0.1:1/nessuno"})
    with TestClient(create_app(guasto)) as c:
        r = c.get("/health")
    assert r.status_code == 503 and r.json()["database"] == "non raggiungibile"


def test_openapi_in_italian(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/prenotazioni", "/prenotazioni/{id_prenotazione}", "/ricoveri",
            "/ricoveri/{id_ricovero}", "/ricoveri/fuori-ordine", "/motivazioni", "/sanzioni",
            "/sanzioni/{id_sanzione}", "/ingest", "/stats", "/monitoring", "/health"} <= set(
        schema["paths"])
    assert schema["paths"]["/sanzioni/{id_sanzione}"]["patch"]["summary"] == (
        "Cambia lo stato di una sanzione")
    assert "Ruoli" in schema["info"]["description"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("percorso", ["/prenotazioni", "/prenotazioni/VECCHIA", "/ricoveri",
                                      "/ricoveri/RB"])
def test_id_assistito_only_for_the_roles_that_need_it(client: TestClient,
                                                      tokens: dict[str, str],
                                                      percorso: str) -> None:
    """Direzione, UPT and CUP see the pseudonymous citizen id; `lettura` gets it null (the
    key stays: one schema for every role)."""

    def valori(corpo: object) -> list[object]:
        if isinstance(corpo, dict):
            return [v for k, x in corpo.items()
                    for v in ([x] if k == "id_assistito" else valori(x))]
        if isinstance(corpo, list):
            return [v for x in corpo for v in valori(x)]
        return []

    for ruolo in ("direzione", "upt", "cup", "lettura"):
        r = client.get(percorso, headers=auth(tokens[ruolo]))
        assert r.status_code == 200
        visti = valori(r.json())
        assert visti, percorso
        if ruolo == "lettura":
            assert set(visti) == {None}, (ruolo, visti)
        else:
            assert None not in visti, (ruolo, visti)
