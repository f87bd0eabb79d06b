# ruff: noqa: F811 — the fixtures imported from api_helpers are used as arguments
"""The API speaks one language and pages everything (both databases): `periodo` with
`period` still accepted, validation messages in Italian in the common body, `/monitoring`
paged like `/prenotazioni` when asked."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from supporto.api import auth, client, errore, registro_api, tokens  # noqa: F401


def test_stats_takes_periodo_and_still_period(client: TestClient,
                                              tokens: dict[str, str]) -> None:
    h = auth(tokens["lettura"])
    italiano = client.get("/stats", params={"periodo": "2026"}, headers=h)
    inglese = client.get("/stats", params={"period": "2026"}, headers=h)
    assert italiano.status_code == 200 and len(italiano.json()) == 2
    assert inglese.json() == italiano.json()
    body = errore(client.get("/stats", headers=h), 422)
    assert body["dettaglio"] == [{"campo": "periodo",
                                  "messaggio": "campo obbligatorio mancante"}]
    parametri = {p["name"] for p in client.get("/openapi.json").json()["paths"]["/stats"]
                 ["get"]["parameters"]}
    assert {"periodo", "registro", "profilo", "lettura"} <= parametri


@pytest.mark.parametrize("percorso, params, campo, messaggio", [
    ("/prenotazioni", {"pagina": "x"}, "pagina", "serve un numero intero"),
    ("/prenotazioni", {"per_pagina": "501"}, "per_pagina",
     "deve essere minore o uguale a 500"),
    ("/prenotazioni", {"superamento": "forse"}, "superamento",
     "serve un valore vero o falso (true o false)"),
    ("/prenotazioni", {"stato": "persa"}, "stato", "valore non ammesso: ammessi "),
    ("/monitoring", {"al": "15/03/2026"}, "al", "data non valida: serve AAAA-MM-GG"),
    ("/stats", {"periodo": "2026", "lettura": "a_caso"}, "lettura",
     "valore non ammesso: ammessi "),
])
def test_validation_messages_are_italian(client: TestClient, tokens: dict[str, str],
                                         percorso: str, params: dict[str, str], campo: str,
                                         messaggio: str) -> None:
    body = errore(client.get(percorso, params=params, headers=auth(tokens["lettura"])), 422)
    assert body["errore"] == "dati non validi"
    [voce] = body["dettaglio"]
    assert voce["campo"] == campo and voce["messaggio"].startswith(messaggio), voce
    for inglese in ("Input should", "Field required", "Value error", "valid integer"):
        assert inglese not in voce["messaggio"]


def test_monitoring_pages_like_prenotazioni(client: TestClient,
                                            tokens: dict[str, str]) -> None:
    h = auth(tokens["lettura"])
    intera = client.get("/monitoring", params={"al": "2026-03-15"}, headers=h).json()
    assert isinstance(intera, list) and len(intera) >= 2   # the old shape, kept
    pagine = [client.get("/monitoring", params={"al": "2026-03-15", "per_pagina": 1,
                                                "pagina": p}, headers=h).json()
              for p in range(1, len(intera) + 2)]
    assert {p["totale"] for p in pagine} == {len(intera)}
    assert [p["pagina"] for p in pagine] == list(range(1, len(intera) + 2))
    assert [len(p["elementi"]) for p in pagine] == [1] * len(intera) + [0]
    assert [p["elementi"][0] for p in pagine[:-1]] == intera
    prima = client.get("/monitoring", params={"al": "2026-03-15", "pagina": 1},
                       headers=h).json()
    assert prima["per_pagina"] == 50 and prima["elementi"] == intera[:50]
    errore(client.get("/monitoring", params={"per_pagina": 501}, headers=h), 422)
