"""The console's access: login and logout, wrong passwords and the lock, CSRF, the cookie's
flags, a new session id at login, the idle timeout, another role's page and action."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from supporto.api import (  # noqa: F401
    registro_api,
)
from supporto.console import (  # noqa: F401
    PASSWORD,
    accedi,
    cliente,
    csrf,
    persone,
    senza_pausa,
)

from registro.models import Audit, SessioneConsole
from registro.settings import Settings
from servizio.api.app import create_app
from servizio.console import service, sicurezza


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def test_login_logout(settings: Settings, persone: list[str], registro_api: Engine) -> None:
    c = _client(settings)
    r = c.get("/console/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/accesso")
    r = accedi(c, "p-direzione")
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    home = c.get("/console/")
    assert home.status_code == 200 and "p-direzione" in home.text and "Cruscotto" in home.text
    r = c.post("/console/uscita", data={"csrf": csrf(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/console/", follow_redirects=False).status_code == 303
    with Session(registro_api) as s:
        azioni = [a.azione for a in s.exec(select(Audit)).all()]
    assert "console accesso" in azioni and "console uscita" in azioni


def test_wrong_password(settings: Settings, persone: list[str], registro_api: Engine) -> None:
    c = _client(settings)
    r = accedi(c, "p-direzione", "sbagliata-sbagliata")
    assert r.status_code == 401  # type: ignore[attr-defined]
    assert "non corretti" in r.text  # type: ignore[attr-defined]
    assert c.get("/console/", follow_redirects=False).status_code == 303
    r = accedi(c, "nessuno", PASSWORD)
    assert r.status_code == 401  # type: ignore[attr-defined]
    with Session(registro_api) as s:
        falliti = s.exec(select(Audit).where(Audit.azione == service.AZIONE_FALLITO)).all()
    assert len(falliti) == 2
    assert all(PASSWORD not in (a.dopo or "") for a in falliti)


def test_eleventh_wrong_password_refused_without_checking(
        settings: Settings, persone: list[str], registro_api: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    chiamate: list[int] = []
    vera = sicurezza.verifica_password

    def spia(h: str | None, p: str) -> bool:
        chiamate.append(1)
        return vera(h, p)

    monkeypatch.setattr(sicurezza, "verifica_password", spia)
    c = _client(settings)
    for _ in range(10):
        assert accedi(c, "p-direzione", "sbagliata-sbagliata").status_code == 401  # type: ignore[attr-defined]
    assert len(chiamate) == 10
    r = accedi(c, "p-direzione", PASSWORD)  # even the right one
    assert r.status_code == 429  # type: ignore[attr-defined]
    assert len(chiamate) == 10
    with Session(registro_api) as s:
        azioni = [a.azione for a in s.exec(select(Audit)).all()]
    assert azioni.count(service.AZIONE_BLOCCATO) == 1
    assert service.AZIONE_RIFIUTATO in azioni
    # another name is not locked
    assert accedi(c, "p-cup").status_code == 303  # type: ignore[attr-defined]


def test_post_without_or_with_wrong_csrf_is_403(cliente: Callable[[str], TestClient]) -> None:
    c = cliente("direzione")
    dati = {"testo": "x", "voce": "prestazioni|superamento|OLTRE"}
    assert c.post("/console/monitoraggio/motivazioni", data=dati).status_code == 403
    r = c.post("/console/monitoraggio/motivazioni", data={**dati, "csrf": "altro"})
    assert r.status_code == 403 and "Accesso negato" in r.text
    assert c.post("/console/uscita", data={}).status_code == 403
    anonimo = TestClient(c.app)
    anonimo.get("/console/accesso")
    r = anonimo.post("/console/accesso", data={"nome": "p-cup", "password": PASSWORD,
                                               "csrf": "sbagliato"}, follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize("https", [False, True])
def test_cookie_flags(settings: Settings, persone: list[str], https: bool) -> None:
    c = TestClient(create_app(settings.model_copy(update={"console_https": https})),
                   base_url="https://testserver" if https else "http://testserver")
    pagina = c.get("/console/accesso")
    r = c.post("/console/accesso", data={"nome": "p-cup", "password": PASSWORD,
                                         "csrf": csrf(pagina.text)}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert ("Secure" in cookie) is https


def test_session_id_changes_at_login(settings: Settings, persone: list[str],
                                     registro_api: Engine) -> None:
    c = _client(settings)
    pagina = c.get("/console/accesso")
    prima = c.cookies.get("registro_console")
    assert prima
    c.post("/console/accesso", data={"nome": "p-cup", "password": PASSWORD,
                                     "csrf": csrf(pagina.text)}, follow_redirects=False)
    dopo = c.cookies.get("registro_console")
    assert dopo and dopo != prima
    with Session(registro_api) as s:
        vecchia = s.get(SessioneConsole, sicurezza.impronta(prima))
        assert vecchia is None or vecchia.revocata_il is not None


def test_idle_timeout(settings: Settings, persone: list[str], registro_api: Engine) -> None:
    c = _client(settings)
    accedi(c, "p-upt")
    assert c.get("/console/impostazioni").status_code == 200
    sid = c.cookies.get("registro_console")
    assert sid
    with Session(registro_api) as s:
        riga = s.get(SessioneConsole, sicurezza.impronta(sid))
        assert riga is not None
        riga.vista_il = datetime.now() - timedelta(minutes=settings.console_timeout_minuti + 1)
        s.add(riga)
        s.commit()
    assert c.get("/console/impostazioni", follow_redirects=False).status_code == 303


def test_other_roles_page_and_action_are_403(cliente: Callable[[str], TestClient]) -> None:
    lettura = cliente("lettura")
    r = lettura.get("/console/monitoraggio.csv")
    assert r.status_code == 403 and "Accesso negato" in r.text
    cup = cliente("cup")
    pagina = cup.get("/console/monitoraggio")
    assert 'name="voce"' not in pagina.text  # no checkboxes for a role that cannot record
    r = cup.post("/console/monitoraggio/motivazioni",
                 data={"csrf": csrf(pagina.text), "testo": "x",
                       "voce": "prestazioni|superamento|OLTRE"})
    assert r.status_code == 403


def test_disabled_person_loses_session(cliente: Callable[[str], TestClient],
                                       registro_api: Engine) -> None:
    c = cliente("upt")
    with Session(registro_api) as s:
        service.disattiva_utente(session=s, nome="p-upt")
        s.commit()
    assert c.get("/console/", follow_redirects=False).status_code == 303
    assert accedi(c, "p-upt").status_code == 401  # type: ignore[attr-defined]
