"""`/console/segnalazioni`: the Ufficio di Pubblica Tutela's register in the console. The UPT
(`gestire_segnalazioni`) registers and steps segnalazioni and prints the reply letter and
the Allegato 2 form; the Direzione (`leggere_segnalazioni`) reads the register without the
citizen's contact. The rules, the checks and the audit are the domain's (`registro.tutela`,
the same as the CLI's and the API's); the documents are `reports.documenti_tutela`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from registro.errors import Conflitto, ErroreUtente, NonTrovato
from registro.periodo import Periodo
from registro.tutela import regole
from registro.types import (
    CANALI_SEGNALAZIONE,
    ESITI_SEGNALAZIONE,
    PRESENTATORI,
    STATI_SEGNALAZIONE,
    TIPI_SEGNALAZIONE,
)
from reports import documenti_tutela as documenti
from reports import tutela as rapporto_tutela
from servizio.console import segnalazioni as sg
from servizio.console.service import Persona
from servizio.console.web import CSRF, DB, impostazioni_di, pagina, richiede_permesso

router = APIRouter(prefix="/console", include_in_schema=False)

Lettore = Annotated[Persona, Depends(richiede_permesso("leggere_segnalazioni"))]
Ufficio = Annotated[Persona, Depends(richiede_permesso("gestire_segnalazioni"))]
SCELTE = {"canali": CANALI_SEGNALAZIONE, "tipi": TIPI_SEGNALAZIONE, "stati": STATI_SEGNALAZIONE,
          "presentatori": PRESENTATORI, "esiti": ESITI_SEGNALAZIONE,
          "nomi_termini": {t.nome: t.descrizione for t in regole.TERMINI}}


def _numero(testo: str) -> int | None:
    """A segnalazione's number from the path; None for anything else (the 404 page)."""
    return int(testo) if testo.isascii() and testo.isdigit() and 0 < int(testo) < 2**31 \
        else None


def _non_trovata(request: Request, persona: Persona, testo: str) -> Response:
    return pagina(request, "errore.html", 404, persona=persona,
                  titolo="Segnalazione non trovata",
                  messaggio=f"nessuna segnalazione con il numero {testo[:20]!r}")


def _termini(request: Request) -> regole.Termini:
    return regole.Termini.da_impostazioni(impostazioni_di(request))


@router.get("/segnalazioni", response_class=HTMLResponse)
def elenco(request: Request, session: DB, persona: Lettore, stato: str | None = None,
           canale: str | None = None, in_ritardo: str | None = None,
           pagina_n: Annotated[int, Query(alias="pagina", ge=1, le=100_000)] = 1,
           registrata: Annotated[int | None, Query(ge=1)] = None) -> Response:
    filtri, errori = sg.Filtri.da_query(stato, canale, in_ritardo)
    oggi = date.today()
    totale, righe = sg.elenco(session=session, termini=_termini(request), oggi=oggi,
                              filtri=filtri, pagina=pagina_n)
    query = filtri.come_query()
    successiva = (f"/console/segnalazioni?{urlencode({**query, 'pagina': pagina_n + 1})}"
                  if pagina_n * sg.PER_PAGINA < totale else None)
    precedente = (f"/console/segnalazioni?{urlencode({**query, 'pagina': pagina_n - 1})}"
                  if pagina_n > 1 else None)
    return pagina(request, "segnalazioni.html", 422 if errori else 200, persona=persona,
                  righe=righe, totale=totale, filtri=filtri, errori=errori, oggi=oggi,
                  successiva=successiva, precedente=precedente, registrata=registrata,
                  **SCELTE)


def _modulo_nuova(request: Request, persona: Persona, modulo: sg.Nuova,
                  stato: int = 200) -> Response:
    return pagina(request, "segnalazione_nuova.html", stato, persona=persona,
                  v=modulo.valori, errori=modulo.errori, **SCELTE)


@router.get("/segnalazioni/nuova", response_class=HTMLResponse)
def nuova(request: Request, persona: Ufficio) -> Response:
    return _modulo_nuova(request, persona, sg.Nuova.vuota(persona, date.today()))


@router.post("/segnalazioni/nuova", response_class=HTMLResponse)
async def nuova_invio(request: Request, session: DB, persona: Ufficio,
                      _csrf: Annotated[None, CSRF]) -> Response:
    dati = await request.form()
    modulo = sg.Nuova({c: str(dati.get(c) or "") for c in sg.CAMPI_NUOVA})
    numero = sg.registra(session=session, persona=persona, modulo=modulo, oggi=date.today())
    if numero is None:
        session.rollback()
        return _modulo_nuova(request, persona, modulo, 422)
    session.commit()
    return RedirectResponse(f"/console/segnalazioni/{numero}?registrata=1", status_code=303)


def _scheda(request: Request, session: Session, persona: Persona, numero: int, *,
            stato: int = 200, errori: list[tuple[str, str]] | None = None,
            passo: dict[str, str] | None = None, avviso: str | None = None) -> Response:
    try:
        s = sg.scheda(session=session, termini=_termini(request), oggi=date.today(),
                      numero=numero, con_contatto=persona.puo("vedere_recapito"))
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Segnalazione non trovata", messaggio=str(exc))
    return pagina(request, "segnalazione.html", stato, persona=persona, s=s,
                  errori=errori or [], passo=passo or {}, avviso=avviso, oggi=date.today(),
                  gestisce=persona.puo("gestire_segnalazioni"), **SCELTE)


@router.get("/segnalazioni/riepilogo", response_class=HTMLResponse)
def riepilogo(request: Request, persona: Lettore, periodo: str | None = None) -> Response:
    """The semester summary (the Conferenza dei Sindaci report's Tutela section)."""
    errori: list[tuple[str, str]] = []
    oggi = date.today()
    etichetta = periodo or f"{oggi.year}-H{1 if oggi.month <= 6 else 2}"
    try:
        scelto = Periodo.parse(etichetta)
    except ErroreUtente as exc:
        errori.append(("periodo", str(exc)))
        scelto = Periodo.parse(f"{oggi.year}-H{1 if oggi.month <= 6 else 2}")
    tabelle = rapporto_tutela.tabelle_conferenza(
        engine=request.app.state.engine, settings=impostazioni_di(request), periodo=scelto)
    return pagina(request, "segnalazioni_riepilogo.html", 422 if errori else 200,
                  persona=persona, periodo=scelto, testo_periodo=periodo or "",
                  conteggi=tabelle["tutela"].to_dicts(),
                  indicatori=tabelle["tutela_riepilogo"].to_dicts(), errori=errori)


@router.get("/segnalazioni/{numero}", response_class=HTMLResponse)
def dettaglio(request: Request, session: DB, persona: Lettore,
              numero: str, registrata: str | None = None, passo_ok: str | None = None
              ) -> Response:
    n = _numero(numero)
    if n is None:
        return _non_trovata(request, persona, numero)
    avviso = ("Segnalazione registrata." if registrata else
              "Passo registrato." if passo_ok else None)
    return _scheda(request, session, persona, n, avviso=avviso)


@router.post("/segnalazioni/{numero}/passi", response_class=HTMLResponse)
def passo(request: Request, session: DB, persona: Ufficio, numero: str,
          _csrf: Annotated[None, CSRF], passo: Annotated[str, Form()] = "",
          data: Annotated[str, Form()] = "", esito: Annotated[str, Form()] = "",
          nota: Annotated[str, Form()] = "") -> Response:
    n = _numero(numero)
    if n is None:
        return _non_trovata(request, persona, numero)
    valori = {"passo": passo, "data": data, "esito": esito, "nota": nota}
    try:
        errori = sg.registra_passo(session=session, persona=persona, numero=n,
                                   passo=passo, data=data, esito=esito, nota=nota,
                                   oggi=date.today())
    except NonTrovato as exc:
        session.rollback()
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Segnalazione non trovata", messaggio=str(exc))
    except Conflitto as exc:
        session.rollback()
        return _scheda(request, session, persona, n, stato=409,
                       errori=[("passo", str(exc))], passo=valori)
    except ErroreUtente as exc:
        session.rollback()
        return _scheda(request, session, persona, n, stato=422,
                       errori=[("passo", str(exc))], passo=valori)
    if errori:
        session.rollback()
        return _scheda(request, session, persona, n, stato=422, errori=errori,
                       passo=valori)
    session.commit()
    return RedirectResponse(f"/console/segnalazioni/{n}?passo_ok=1", status_code=303)


@router.get("/segnalazioni/{numero}/documenti/{documento}")
def documento(request: Request, session: DB, persona: Ufficio, numero: str, documento: str,
              formato: str = "pdf") -> Response:
    """The reply letter or the Allegato 2 form, HTML or tagged PDF: addressed to the
    citizen, they carry the contact, so they are the UPT's alone."""
    n = _numero(numero)
    if n is None:
        return _non_trovata(request, persona, numero)
    if documento not in documenti.DOCUMENTI or formato not in ("pdf", "html"):
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Documento non trovato",
                      messaggio="I documenti sono la lettera e la scheda, in PDF o HTML.")
    try:
        testo = documenti.html(session=session, id_segnalazione=n, documento=documento,
                               settings=impostazioni_di(request), oggi=date.today())
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Segnalazione non trovata", messaggio=str(exc))
    except Conflitto as exc:
        return pagina(request, "errore.html", 409, persona=persona,
                      titolo="Lettera non ancora disponibile", messaggio=str(exc))
    intestazioni = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY"}
    if formato == "html":
        return Response(testo, media_type="text/html; charset=utf-8", headers=intestazioni)
    return Response(documenti.pdf(testo), media_type="application/pdf", headers={
        **intestazioni,
        "Content-Disposition": f'inline; filename="{documento}_{n}.pdf"'})
