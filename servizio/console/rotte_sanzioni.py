"""`/console/sanzioni…` (paths are a contract): the bonum, malum and refund records with
filters and totals, one record with its history and its state change, the notice to the
citizen (HTML to print, tagged PDF). Thin routes: the queries are in
`servizio.console.sanzioni`, the notice in `reports.avviso_sanzione`."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registro.db import transazione
from registro.errors import Conflitto, ErroreUtente, NonTrovato
from registro.money import euro
from registro.types import STATI_SANZIONE, TIPI_SANZIONE
from reports import avviso_sanzione
from servizio.console import sanzioni as sz
from servizio.console.service import Persona
from servizio.console.web import CSRF, DB, impostazioni_di, pagina, richiede_permesso

router = APIRouter(prefix="/console", include_in_schema=False)

Lettore = Annotated[Persona, Depends(richiede_permesso("leggere"))]
Stampatore = Annotated[Persona, Depends(richiede_permesso("stampare_avvisi"))]
Operatore = Annotated[Persona, Depends(richiede_permesso("cambiare_stato_sanzioni"))]

INTESTAZIONI_DOCUMENTO = {
    "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    # The notice is a self-contained document with its own <style>: no script, nothing else.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'none'"}


def _numero(testo: str) -> int | None:
    return int(testo) if testo.isdigit() and 0 < int(testo) < 2**31 else None


def _non_trovata(request: Request, persona: Persona, testo: str) -> Response:
    return pagina(request, "errore.html", 404, persona=persona, titolo="Sanzione non trovata",
                  messaggio=f"Nessuna sanzione n. {testo[:20]} nel registro.")


@router.get("/sanzioni", response_class=HTMLResponse)
def elenco(request: Request, session: DB, persona: Lettore, tipo: str | None = None,
           stato: str | None = None, sede: str | None = None, dal: str | None = None,
           al: str | None = None, dopo: str | None = None) -> Response:
    filtri, errori = sz.leggi_filtri(tipo=tipo, stato=stato, sede=sede, dal=dal, al=al)
    chiave = _numero(dopo) if dopo else None
    if dopo and chiave is None:
        errori.append(("voci", "Pagina non valida: si riparte dalla prima."))
    voci, prossimo = sz.pagina(session=session, filtri=filtri, dopo=chiave)
    totali = sz.totali(session=session, filtri=filtri)
    query = filtri.come_query()
    return pagina(
        request, "sanzioni.html", 422 if errori else 200, persona=persona, voci=voci,
        totali=totali, numero=sum(t.numero for t in totali if t.stato is None),
        filtri=filtri, errori=errori, tipi=TIPI_SANZIONE, stati=STATI_SANZIONE,
        pagina_dopo=(f"/console/sanzioni?{urlencode({**query, 'dopo': prossimo})}"
                     if prossimo else None),
        prima_pagina=f"/console/sanzioni?{urlencode(query)}" if chiave else None)


def _pagina_sanzione(request: Request, session: DB, persona: Persona, id_sanzione: int, *,
                     stato: int = 200, errori: list[tuple[str, str]] | None = None,
                     motivo: str = "", esito: str | None = None) -> Response:
    scheda = sz.scheda(session=session, id_sanzione=id_sanzione)
    return pagina(request, "sanzione.html", stato, persona=persona, k=scheda, s=scheda.s,
                  errori=errori or [], motivo=motivo, esito=esito,
                  importo=euro(scheda.s.importo_cent),
                  avvisabile=scheda.s.tipo in avviso_sanzione.AVVISABILI,
                  vede_assistito=persona.puo("vedere_assistito"))


@router.get("/sanzioni/{id_sanzione}", response_class=HTMLResponse)
def sanzione(request: Request, session: DB, persona: Lettore, id_sanzione: str,
             esito: str | None = None) -> Response:
    numero = _numero(id_sanzione)
    try:
        if numero is None:
            raise NonTrovato(id_sanzione)
        return _pagina_sanzione(request, session, persona, numero,
                                esito=esito if esito in STATI_SANZIONE else None)
    except NonTrovato:
        return _non_trovata(request, persona, id_sanzione)


@router.post("/sanzioni/{id_sanzione}/stato", response_class=HTMLResponse)
def cambia_stato(request: Request, session: DB, persona: Operatore,
                 _csrf: Annotated[None, CSRF], id_sanzione: str,
                 stato: Annotated[str, Form()] = "", da: Annotated[str, Form()] = "",
                 motivo: Annotated[str, Form()] = "") -> Response:
    numero = _numero(id_sanzione)
    if numero is None:
        return _non_trovata(request, persona, id_sanzione)
    errore = (422, "nuovo-stato", "Scegliere il nuovo stato." if not stato else
              f"Stato sconosciuto: {stato[:30]!r}.")
    if stato in STATI_SANZIONE:
        try:
            with transazione(request.app.state.engine) as scrittura:
                sz.cambia(session=scrittura, id_sanzione=numero, visto=da, stato=stato,
                          motivo=motivo, persona=persona)
        except NonTrovato:
            return _non_trovata(request, persona, id_sanzione)
        except Conflitto as exc:
            errore = (409, "nuovo-stato", f"Cambio non eseguito: {str(exc).rstrip('.')}.")
        except ErroreUtente as exc:
            errore = (422, "motivo", f"Cambio non eseguito: {str(exc).rstrip('.')}.")
        else:
            return RedirectResponse(f"/console/sanzioni/{numero}?{urlencode({'esito': stato})}",
                                    status_code=303)
    codice, campo, messaggio = errore
    return _pagina_sanzione(request, session, persona, numero, stato=codice,
                            errori=[(campo, messaggio)], motivo=motivo)


def _avviso(request: Request, session: DB, persona: Persona, id_sanzione: str,
            schermo: bool) -> str | Response:
    numero = _numero(id_sanzione)
    try:
        if numero is None:
            raise NonTrovato(id_sanzione)
        return avviso_sanzione.html(session=session, id_sanzione=numero,
                                    settings=impostazioni_di(request), oggi=date.today(),
                                    schermo=schermo)
    except NonTrovato:
        return _non_trovata(request, persona, id_sanzione)
    except Conflitto as exc:
        return pagina(request, "errore.html", 409, persona=persona,
                      titolo="Avviso non disponibile", messaggio=f"{str(exc).capitalize()}.")


@router.get("/sanzioni/{id_sanzione}/avviso", response_class=HTMLResponse)
def avviso(request: Request, session: DB, persona: Stampatore, id_sanzione: str) -> Response:
    testo = _avviso(request, session, persona, id_sanzione, schermo=True)
    if isinstance(testo, Response):
        return testo
    return HTMLResponse(testo, headers=INTESTAZIONI_DOCUMENTO)


@router.get("/sanzioni/{id_sanzione}/avviso.pdf")
def avviso_pdf(request: Request, session: DB, persona: Stampatore,
               id_sanzione: str) -> Response:
    testo = _avviso(request, session, persona, id_sanzione, schermo=False)
    if isinstance(testo, Response):
        return testo
    nome = f"avviso_sanzione_{id_sanzione}.pdf"
    return Response(avviso_sanzione.pdf(testo), media_type="application/pdf",
                    headers={**INTESTAZIONI_DOCUMENTO,
                             "Content-Disposition": f'inline; filename="{nome}"'})
