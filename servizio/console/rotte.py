"""The console's first pages (`/console/…`, a contract: operators bookmark them): access,
the dashboard, the monitoring list, one booking or admission, the settings. Thin routes that
check the session, the permission and the CSRF token, call the domain and the reports, and
render a Jinja2 template. No SQL here: `servizio.console.service` and the floors below hold
it. What the pages share is in `web.py`; other areas have their own route module."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

import polars as pl
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from public_site.formato import nome_mese
from registro.errors import ErroreUtente, NonTrovato
from registro.festivi import festivi
from registro.periodo import Periodo
from registro.schede import dettaglio_prenotazione, dettaglio_ricovero
from reports import cruscotto as cr
from reports.monitoring import LISTE
from servizio.console import grafici as gr
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

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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

def _lista_oggi(request: Request, ordina: str = "urgenza") -> pl.DataFrame:
    """The whole monitoring list as of today (motivated items included), in the order
    `ordina`: kept between requests while the register does not change (lista.py)."""
    return ls.in_memoria(request.app.state).ordinata(
        request.app.state.engine, impostazioni_di(request), date.today(), ordina)


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
    engine, settings, oggi = request.app.state.engine, impostazioni_di(request), date.today()
    lista = ls.filtra(_lista_oggi(request), Filtri())
    # the shares read the bookings, not the motivazioni: kept while the register is the same
    dati = ls.in_memoria(request.app.state).ricordato(
        engine, settings, oggi, ("cruscotto", scelto),
        lambda: cr.calcola(engine=engine, settings=settings, lista=lista, periodo=scelto))
    if dati is not None:
        dati = replace(dati, conteggi=cr.conteggi(lista))
    return pagina(request, "cruscotto.html", 422 if errori else 200, persona=persona,
                  dati=dati, grafici=gr.del_cruscotto(dati) if dati else None,
                  nome_mese=nome_mese,
                  periodo=periodo or "", errori=errori, oggi=oggi)


def _filtri(q: Mapping[str, str | None]) -> Filtri:
    """The filters from the URL's (or the form's `ritorno`) parameters, as entered."""
    def testo(nome: str) -> str | None:
        return (q.get(nome) or "").strip() or None

    def giorno(nome: str) -> str | None:
        """A valid date as ISO (what the date field shows back), a wrong one as typed (its
        message comes from `filtra`)."""
        try:
            valida = ls.data_filtro(testo(nome), nome)
        except ErroreUtente:
            return testo(nome)
        return valida.isoformat() if valida else None

    return Filtri(lista=testo("lista"), registro=testo("registro"),
                  sede_o_reparto=testo("sede_o_reparto"), classe=testo("classe"),
                  includi_motivati=bool(q.get("includi_motivati")),
                  dal=giorno("dal"), al=giorno("al"), ordina=testo("ordina") or "urgenza")


def _filtrata(request: Request, filtri: Filtri) -> pl.DataFrame:
    return ls.filtra(_lista_oggi(request, filtri.ordina), filtri)


def _pagina_monitoraggio(request: Request, persona: Persona, filtri: Filtri,
                         dopo: str | None, *, stato: int = 200,
                         errori: list[tuple[str, str]] | None = None, testo: str = "",
                         scelte: frozenset[str] = frozenset(), esito: int | None = None
                         ) -> Response:

    errori = list(errori or [])
    try:
        filtrata = _filtrata(request, filtri)
        voci, prossimo = ls.pagina(filtrata, dopo=dopo, per_pagina=ls.PER_PAGINA,
                                   ordina=filtri.ordina)
        totale = filtrata.height
    except ErroreUtente as exc:
        errori.append(("filtri", str(exc)))
        stato = 422
        voci, prossimo, totale = [], None, 0
    query = filtri.come_query()
    return pagina(
        request, "monitoraggio.html", stato, persona=persona, voci=voci,
        totale=totale, filtri=filtri, liste=LISTE, ordini=ls.ORDINI, errori=errori,
        testo=testo, scelte=scelte, esito=esito, oggetti=service.OGGETTO_DELLA_LISTA,
        pagina_dopo=(f"/console/monitoraggio?{urlencode({**query, 'dopo': prossimo})}"
                     if prossimo else None),
        prima_pagina=(f"/console/monitoraggio?{urlencode(query)}" if dopo else None),
        csv=f"/console/monitoraggio.csv?{urlencode(query)}",
        xlsx=f"/console/monitoraggio.xlsx?{urlencode(query)}",
        ritorno=f"/console/monitoraggio?{urlencode({**query, **({'dopo': dopo} if dopo else {})})}",
        oggi=date.today())


@router.get("/monitoraggio", response_class=HTMLResponse)
def monitoraggio(request: Request,
                 persona: Annotated[Persona, Depends(richiede_permesso("leggere"))],
                 dopo: str | None = None,
                 esito: Annotated[int | None, Query(ge=0)] = None) -> Response:
    return _pagina_monitoraggio(request, persona, _filtri(request.query_params), dopo,
                                esito=esito)


def _esporta(request: Request) -> pl.DataFrame | Response:
    """The filtered list for an export, or the 422 answer that says what is wrong."""
    try:
        return _filtrata(request, _filtri(request.query_params))
    except ErroreUtente as exc:
        return Response(str(exc), status_code=422, media_type="text/plain; charset=utf-8")


@router.get("/monitoraggio.csv")
def monitoraggio_csv(request: Request,
                     _persona: Annotated[Persona, Depends(richiede_permesso("esportare"))]
                     ) -> Response:

    filtrata = _esporta(request)
    if isinstance(filtrata, Response):
        return filtrata
    nome = f"monitoraggio_{date.today().isoformat()}.csv"
    return StreamingResponse(ls.csv_a_pezzi(filtrata), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{nome}"',
                                      "Cache-Control": "no-store"})


@router.get("/monitoraggio.xlsx")
def monitoraggio_xlsx(request: Request,
                      _persona: Annotated[Persona, Depends(richiede_permesso("esportare"))]
                      ) -> Response:

    filtrata = _esporta(request)
    if isinstance(filtrata, Response):
        return filtrata
    nome = f"monitoraggio_{date.today().isoformat()}.xlsx"
    return Response(ls.xlsx(filtrata), media_type=XLSX,
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
    filtri = _filtri(q)
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
    anno = date.today().year
    # the days the terms skip (notice for a cancellation, the Tutela's working-day terms)
    giorni_festivi = {a: sorted(festivi(a, s.patrono)) for a in (anno, anno + 1)}
    return pagina(request, "impostazioni.html", persona=persona, s=s,
                  bonum=Decimal(s.bonum), malum=Decimal(s.malum), festivi=giorni_festivi)
