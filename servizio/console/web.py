"""What every page of the console shares: the Jinja2 environment (autoescaped), `pagina`
(a template rendered with the headers every console answer carries), the session and
permission dependencies, the CSRF check. The route modules (`rotte.py` and one per area)
import from here; `montaggio.py` mounts them.

Sessions live in the database (`sessione_console`): the cookie carries a random id
(HttpOnly, SameSite=Strict, Secure with `console_https`), a new one at login, revoked at
logout, ended after `console_timeout_minuti` idle. Every form carries the session's CSRF
token (synchronizer pattern: the token is in the server-side session, compared in constant
time); a POST without it, or with another, gets the 403 page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from public_site.formato import FILTRI, euro_it
from registro.settings import Settings
from servizio.console import service, sicurezza
from servizio.console.menu import voci_per
from servizio.console.permessi import TUTTI
from servizio.console.service import Persona

QUI = Path(__file__).resolve().parent
COOKIE = "registro_console"


class NonAutenticato(Exception):
    """No live session: the person is sent to the login page, then back."""

    def __init__(self, prossima: str) -> None:
        self.prossima = prossima


class Vietato(Exception):
    """The session's role lacks the permission (or the CSRF token is wrong): the 403 page."""

    def __init__(self, motivo: str) -> None:
        self.motivo = motivo


def _ambiente() -> Environment:
    env = Environment(loader=FileSystemLoader(QUI / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTRI)
    env.filters.update(euro=_euro, si_no=_si_no, quando=_quando)
    return env


def _euro(testo: str | None) -> str:
    """An amount as the register's dicts carry it ("25.82") → "€ 25,82"."""
    return euro_it(Decimal(testo)) if testo else "—"


def _si_no(valore: bool | None) -> str:
    return "—" if valore is None else ("sì" if valore else "no")


def _quando(valore: datetime | date | None) -> str:
    """"05/03/2026 09:30" (a midnight shows the day only), "—" when there is none."""
    if valore is None:
        return "—"
    if isinstance(valore, datetime):
        return valore.strftime("%d/%m/%Y" if valore.time() == datetime.min.time()
                               else "%d/%m/%Y %H:%M")
    return valore.strftime("%d/%m/%Y")


AMBIENTE = _ambiente()


def impostazioni_di(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def pagina(request: Request, template: str, stato: int = 200,
           persona: Persona | None = None, **contesto: Any) -> HTMLResponse:
    testo = AMBIENTE.get_template(template).render(
        persona=persona, ente=impostazioni_di(request).ente, percorso=request.url.path,
        menu=voci_per(persona), **contesto)
    return HTMLResponse(testo, status_code=stato,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; "
                                 "img-src 'self' data:; frame-ancestors 'none'; "
                                 "form-action 'self'",
                                 "Referrer-Policy": "same-origin"})


# --- dependencies ----------------------------------------------------------------------------

def sessione_db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


DB = Annotated[Session, Depends(sessione_db)]


def persona_corrente(request: Request, session: DB) -> Persona:
    trovata = service.sessione_viva(
        session=session, sid=request.cookies.get(COOKIE),
        timeout_minuti=impostazioni_di(request).console_timeout_minuti)
    session.commit()
    if trovata is None or trovata[1] is None:
        prossima = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NonAutenticato(prossima if request.method == "GET" else "/console/")
    s, u = trovata
    assert u is not None
    return Persona(nome=u.nome, ruolo=u.ruolo, csrf=s.csrf, id_hash=s.id_hash)


def richiede_permesso(permesso: str) -> Callable[..., Persona]:
    """The one dependency a page or an action asks for: the person, if their role holds
    `permesso`; otherwise the 403 page. An unknown name fails at import, not at run time."""
    if permesso not in TUTTI:
        raise ValueError(f"permesso sconosciuto: {permesso!r}")

    def dipendenza(persona: Annotated[Persona, Depends(persona_corrente)]) -> Persona:
        if not persona.puo(permesso):
            raise Vietato(f"il ruolo «{persona.ruolo}» non consente questa pagina o azione")
        return persona

    return dipendenza


async def csrf_valido(request: Request,
                      persona: Annotated[Persona, Depends(persona_corrente)]) -> None:
    modulo = await request.form()
    token = modulo.get("csrf")
    if not sicurezza.stesso_token(persona.csrf, token if isinstance(token, str) else None):
        raise Vietato("il modulo è scaduto o non proviene dalla console (token CSRF mancante "
                      "o errato): ricaricare la pagina e riprovare")


CSRF = Depends(csrf_valido)


def imposta_cookie(risposta: Response, request: Request, sid: str) -> None:
    risposta.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/console",
                        secure=impostazioni_di(request).console_https)


def prossima_sicura(prossima: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if (prossima and prossima.startswith("/console/") and "//" not in prossima
            and "\\" not in prossima):
        return prossima
    return "/console/"
