"""The console's first pages (`/console/…`, a contract: operators bookmark them): access,
the dashboard, the monitoring list, one booking or admission, the settings. Thin routes that
check the session, the permission and the CSRF token, call the domain and the reports, and
render a Jinja2 template. No SQL here: `servizio.console.service` and the floors below hold
it. What the pages share is in `web.py`; other areas have their own route module."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from registro.errors import ErroreUtente, NonTrovato
from registro.periodo import Periodo
from registro.schede import dettaglio_prenotazione, dettaglio_ricovero
from reports import cruscotto as cr
from reports.monitoring import LISTE, calcola_lista
from servizio.console import lista as ls
from servizio.console import service, sicurezza
from servizio.console.lista import Filtri
from servizio.console.service import Persona
from servizio.console.web import (
    COOKIE,
    CSRF,
    DB,
    NonAutenticato,
    imposta_cookie,
    impostazioni_di,
    pagina,
    persona_corrente,
    prossima_sicura,
    richiede_permesso,
)

PAUSA_ACCESSO_FALLITO = 0.5
"""Seconds a wrong password waits before its answer: slows guessing (the lock stops it)."""

router = APIRouter(prefix="/console", include_in_schema=False)


# --- access ----------------------------------------------------------------------------------

def _modulo_accesso(request: Request, session: Session) -> tuple[str | None, str]:
    """The login form's session (reused while alive): (new id for the cookie or None, csrf)."""
    sid = request.cookies.get(COOKIE)
    trovata = service.sessione_viva(
        session=session, sid=sid, timeout_minuti=impostazioni_di(request).console_timeout_minuti)
    if trovata is not None and trovata[1] is None:
        session.commit()
        return None, trovata[0].csrf
    nuovo = service.nuova_sessione(session=session, utente_id=None)
    trovata = service.sessione_viva(session=session, sid=nuovo, timeout_minuti=1)
    session.commit()
    assert trovata is not None
    return nuovo, trovata[0].csrf


@router.get("/accesso", response_class=HTMLResponse)
def accesso(request: Request, session: DB, prossima: str | None = None,
            uscito: bool = False) -> Response:
    try:
        persona_corrente(request, session)
        return RedirectResponse(prossima_sicura(prossima), status_code=303)
    except NonAutenticato:
        pass
    nuovo, csrf = _modulo_accesso(request, session)
    risposta = pagina(request, "accesso.html", csrf=csrf, prossima=prossima_sicura(prossima),
                      nome="", errori=[], avviso="Sei uscito dalla console." if uscito else None)
    if nuovo:
        imposta_cookie(risposta, request, nuovo)
    return risposta


@router.post("/accesso", response_class=HTMLResponse)
def accesso_invio(request: Request, session: DB, nome: Annotated[str, Form()] = "",
                  password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
                  prossima: Annotated[str, Form()] = "/console/") -> Response:
    settings = impostazioni_di(request)
    trovata = service.sessione_viva(session=session, sid=request.cookies.get(COOKIE),
                                    timeout_minuti=settings.console_timeout_minuti)
    session.commit()
    if trovata is None or not sicurezza.stesso_token(trovata[0].csrf, csrf):
        return pagina(request, "errore.html", 403, titolo="Accesso negato",
                      messaggio="Il modulo di accesso è scaduto o non proviene dalla console: "
                                "riaprire la pagina di accesso e riprovare.")
    modulo = trovata[0]
    errori: list[tuple[str, str]] = []
    if not nome.strip():
        errori.append(("nome", "Inserire il nome utente."))
    if not password:
        errori.append(("password", "Inserire la password."))
    stato = 422
    if not errori:
        try:
            esito = service.accedi(session=session, nome=nome, password=password,
                                   sessione_modulo=modulo.id_hash,
                                   blocco_minuti=settings.console_blocco_minuti,
                                   timeout_minuti=settings.console_timeout_minuti)
        except service.AccessoBloccato:
            errori.append(("nome", "Troppi tentativi non riusciti per questo nome: l'accesso è "
                                   f"sospeso per {settings.console_blocco_minuti} minuti."))
            stato = 429
        else:
            if esito is None:
                time.sleep(PAUSA_ACCESSO_FALLITO)
                errori.append(("password", "Nome utente o password non corretti."))
                stato = 401
            else:
                sid, _utente = esito
                risposta = RedirectResponse(prossima_sicura(prossima), status_code=303)
                imposta_cookie(risposta, request, sid)
                return risposta
    return pagina(request, "accesso.html", stato, csrf=modulo.csrf,
                  prossima=prossima_sicura(prossima), nome=nome, errori=errori, avviso=None)


@router.post("/uscita")
def uscita(session: DB, persona: Annotated[Persona, Depends(persona_corrente)],
           _csrf: Annotated[None, CSRF]) -> Response:
    service.esci(session=session, persona=persona)
    risposta = RedirectResponse("/console/accesso?uscito=1", status_code=303)
    risposta.delete_cookie(COOKIE, path="/console")
    return risposta


# --- pages -----------------------------------------------------------------------------------

def _lista_oggi(request: Request, includi_motivati: bool = False) -> Any:

    return calcola_lista(engine=request.app.state.engine, settings=impostazioni_di(request),
                         oggi=date.today(), includi_motivati=includi_motivati)


@router.get("/", response_class=HTMLResponse)
def cruscotto(request: Request, persona: Annotated[Persona, Depends(richiede_permesso("leggere"))],
              periodo: str | None = None) -> Response:

    errori: list[tuple[str, str]] = []
    scelto = None
    if periodo:
        try:
            scelto = Periodo.parse(periodo)
        except ErroreUtente as exc:
            errori.append(("periodo", str(exc)))
    dati = cr.calcola(engine=request.app.state.engine, settings=impostazioni_di(request),
                      lista=_lista_oggi(request), periodo=scelto)
    return pagina(request, "cruscotto.html", 422 if errori else 200, persona=persona,
                  dati=dati, periodo=periodo or "", errori=errori, oggi=date.today())


def _filtri(lista: str | None, registro: str | None, sede_o_reparto: str | None,
            classe: str | None, includi_motivati: str | None) -> Filtri:
    return Filtri(lista=lista or None, registro=registro or None,
                  sede_o_reparto=(sede_o_reparto or "").strip() or None,
                  classe=classe or None, includi_motivati=bool(includi_motivati))


def _pagina_monitoraggio(request: Request, persona: Persona, filtri: Filtri,
                         dopo: str | None, *, stato: int = 200,
                         errori: list[tuple[str, str]] | None = None, testo: str = "",
                         scelte: frozenset[str] = frozenset(), esito: int | None = None
                         ) -> Response:

    errori = list(errori or [])
    completa = ls.con_chiave(_lista_oggi(request, filtri.includi_motivati))
    try:
        filtrata = ls.filtra(completa, filtri)
        voci, prossimo = ls.pagina(filtrata, dopo=dopo, per_pagina=ls.PER_PAGINA)
    except ErroreUtente as exc:
        errori.append(("filtri", str(exc)))
        stato = 422
        filtrata = completa.clear()
        voci, prossimo = [], None
    query = filtri.come_query()
    return pagina(
        request, "monitoraggio.html", stato, persona=persona, voci=voci,
        totale=filtrata.height, filtri=filtri, liste=LISTE, errori=errori, testo=testo,
        scelte=scelte, esito=esito, oggetti=service.OGGETTO_DELLA_LISTA,
        pagina_dopo=(f"/console/monitoraggio?{urlencode({**query, 'dopo': prossimo})}"
                     if prossimo else None),
        prima_pagina=(f"/console/monitoraggio?{urlencode(query)}" if dopo else None),
        csv=f"/console/monitoraggio.csv?{urlencode(query)}",
        ritorno=f"/console/monitoraggio?{urlencode({**query, **({'dopo': dopo} if dopo else {})})}",
        oggi=date.today())


@router.get("/monitoraggio", response_class=HTMLResponse)
def monitoraggio(request: Request,
                 persona: Annotated[Persona, Depends(richiede_permesso("leggere"))],
                 lista: str | None = None, registro: str | None = None,
                 sede_o_reparto: str | None = None, classe: str | None = None,
                 includi_motivati: str | None = None, dopo: str | None = None,
                 esito: Annotated[int | None, Query(ge=0)] = None) -> Response:
    return _pagina_monitoraggio(
        request, persona, _filtri(lista, registro, sede_o_reparto, classe, includi_motivati),
        dopo, esito=esito)


@router.get("/monitoraggio.csv")
def monitoraggio_csv(request: Request,
                     _persona: Annotated[Persona, Depends(richiede_permesso("esportare"))],
                     lista: str | None = None, registro: str | None = None,
                     sede_o_reparto: str | None = None, classe: str | None = None,
                     includi_motivati: str | None = None) -> Response:

    filtri = _filtri(lista, registro, sede_o_reparto, classe, includi_motivati)
    try:
        filtrata = ls.filtra(ls.con_chiave(_lista_oggi(request, filtri.includi_motivati)),
                             filtri)
    except ErroreUtente as exc:
        return Response(str(exc), status_code=422, media_type="text/plain; charset=utf-8")
    nome = f"monitoraggio_{date.today().isoformat()}.csv"
    return StreamingResponse(ls.csv_a_pezzi(filtrata), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{nome}"',
                                      "Cache-Control": "no-store"})


@router.post("/monitoraggio/motivazioni", response_class=HTMLResponse)
def monitoraggio_motiva(request: Request, session: DB,
                        persona: Annotated[Persona, Depends(richiede_permesso("motivare"))],
                        _csrf: Annotated[None, CSRF],
                        testo: Annotated[str, Form()] = "",
                        voce: Annotated[list[str] | None, Form()] = None,
                        ritorno: Annotated[str, Form()] = "/console/monitoraggio") -> Response:

    ritorno = ritorno if ritorno.startswith("/console/monitoraggio") else \
        "/console/monitoraggio"
    parti = urlsplit(ritorno)
    q = {k: v[0] for k, v in parse_qs(parti.query).items()}
    filtri = _filtri(q.get("lista"), q.get("registro"), q.get("sede_o_reparto"),
                     q.get("classe"), q.get("includi_motivati"))
    errori: list[tuple[str, str]] = []
    if not voce:
        errori.append(("voci", "Selezionare almeno una voce della lista."))
    if not testo.strip():
        errori.append(("testo", "Scrivere il testo della motivazione."))
    if not errori:
        try:
            n = service.registra_motivazioni(
                session=session, voci=[service.Voce.da_testo(v) for v in voce or []],
                testo=testo, persona=persona)
        except ErroreUtente as exc:
            session.rollback()
            errori.append(("voci", str(exc)))
        else:
            q.pop("dopo", None)
            return RedirectResponse(
                f"/console/monitoraggio?{urlencode({**filtri.come_query(), 'esito': n})}",
                status_code=303)
    return _pagina_monitoraggio(request, persona, filtri, q.get("dopo"), stato=422,
                                errori=errori, testo=testo, scelte=frozenset(voce or []))


@router.get("/prenotazioni/{id_prenotazione}", response_class=HTMLResponse)
def prenotazione(request: Request, session: DB, id_prenotazione: str,
                 persona: Annotated[Persona, Depends(richiede_permesso("leggere"))]
                 ) -> Response:

    try:
        scheda = dettaglio_prenotazione(session=session, id_prenotazione=id_prenotazione)
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Prenotazione non trovata", messaggio=str(exc))
    return pagina(request, "prenotazione.html", persona=persona, p=scheda,
                  vede_assistito=persona.puo("vedere_assistito"))


@router.get("/ricoveri/{id_ricovero}", response_class=HTMLResponse)
def ricovero(request: Request, session: DB, id_ricovero: str,
             persona: Annotated[Persona, Depends(richiede_permesso("leggere"))]) -> Response:

    try:
        scheda = dettaglio_ricovero(session=session, engine=request.app.state.engine,
                                    id_ricovero=id_ricovero)
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Ricovero non trovato", messaggio=str(exc))
    return pagina(request, "ricovero.html", persona=persona, r=scheda,
                  vede_assistito=persona.puo("vedere_assistito"))


@router.get("/impostazioni", response_class=HTMLResponse)
def impostazioni(request: Request,
                 persona: Annotated[Persona,
                                    Depends(richiede_permesso("leggere_impostazioni"))]
                 ) -> Response:
    s = impostazioni_di(request)
    return pagina(request, "impostazioni.html", persona=persona, s=s,
                  bonum=Decimal(s.bonum), malum=Decimal(s.malum))
