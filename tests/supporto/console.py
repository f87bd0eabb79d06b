"""Shared by the console tests: a register (the API tests' one), one person per role, a
logged-in TestClient, the CSRF token of a page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from registro.db import transazione
from registro.settings import Settings
from servizio.api.app import create_app
from servizio.console import rotte, service
from servizio.console.permessi import RUOLI
from supporto.api import registro_api  # noqa: F401

PASSWORD = "una-password-di-prova"


@pytest.fixture(autouse=True)
def senza_pausa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rotte, "PAUSA_ACCESSO_FALLITO", 0)


@pytest.fixture
def persone(registro_api: Engine) -> list[str]:  # noqa: F811
    with transazione(registro_api) as session:
        for ruolo in RUOLI:
            service.crea_utente(session=session, nome=f"p-{ruolo}", ruolo=ruolo,
                                password=PASSWORD)
    return [f"p-{r}" for r in RUOLI]


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def accedi(c: TestClient, nome: str, password: str = PASSWORD) -> object:
    pagina = c.get("/console/accesso")
    return c.post("/console/accesso", data={"nome": nome, "password": password,
                                            "csrf": csrf(pagina.text)},
                  follow_redirects=False)


@pytest.fixture
def cliente(settings: Settings, persone: list[str]) -> Iterator[Callable[[str], TestClient]]:
    aperti: list[TestClient] = []

    def fabbrica(ruolo: str) -> TestClient:
        c = TestClient(create_app(settings), raise_server_exceptions=True)
        c.__enter__()
        aperti.append(c)
        r = accedi(c, f"p-{ruolo}")
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]
        return c

    yield fabbrica
    for c in aperti:
        c.__exit__(None, None, None)
