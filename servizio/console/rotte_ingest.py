"""`/console/ingest` (roles cup and direzione, permission `caricare`): upload a CUP export
or a planned-admission list (and its mapping) through the API's own path, then its summary;
the history of ingests; each run's rejects, a page at a time or as CSV; the catalog, the
sites and the wards (a CSV import, one row edited by hand).

The upload is received in the request, then ingested in the background
(`lavori_ingest`): the browser goes to the job's page, which says "in corso" and reloads
itself (`<meta http-equiv="refresh">`, no JavaScript) until it sends it to the run's
summary. Multipart bodies are
streamed to disk (`servizio.upload`), so the CSRF token is read from the parsed form
here instead of through the `CSRF` dependency, which would first read the whole body into
memory; nothing is done with the file before the token is checked."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from cup.catalogo import ANAGRAFICHE
from cup.ingest import cartella_upload
from registro import riservato
from registro.errors import ErroreUtente, NonTrovato, TroppoGrande
from servizio import caricamento
from servizio.console import caricamenti as cr
from servizio.console import lavori_ingest, sicurezza
from servizio.console.service import Persona
from servizio.console.web import CSRF, DB, Vietato, impostazioni_di, pagina, richiede_permesso
from servizio.upload import Modulo, ricevi_modulo

router = APIRouter(prefix="/console", include_in_schema=False)

MB = 1024 * 1024
Caricatore = Annotated[Persona, Depends(richiede_permesso("caricare"))]
NOMI_TABELLE = {"prestazioni": "Catalogo delle prestazioni", "sedi": "Sedi di erogazione",
                "reparti": "Reparti"}
RICARICA_SECONDI = 2
"""How often the job's page reloads itself while the ingest runs."""
CAMPI_VOCE = ("descrizione", "tipo", "branca", "tariffa", "periodica", "nome", "comune",
              "indirizzo", "presidio")


async def _ricevi(request: Request, persona: Persona, cartella: Path, campi_file: set[str],
                 campi_testo: set[str]) -> Modulo:
    """The multipart form streamed into `cartella`, refused (413) past `api_max_upload_mb`
    like the API's, its CSRF token checked before anything else is done with it."""
    limite = impostazioni_di(request).api_max_upload_mb * MB
    modulo = await ricevi_modulo(request.stream(), request.headers.get("content-type"),
                                 cartella, limite, campi_file=campi_file,
                                 campi_testo=campi_testo | {"csrf"})
    if not sicurezza.stesso_token(persona.csrf, modulo.campi.get("csrf")):
        raise Vietato("il modulo è scaduto o non proviene dalla console (token CSRF "
                      "mancante o errato): ricaricare la pagina e riprovare")
    return modulo


def _cartella(request: Request) -> AbstractContextManager[Path]:
    """A private folder for one upload (the API's), after refusing a body whose declared
    length is already over the limit."""
    settings = impostazioni_di(request)
    lunghezza = request.headers.get("content-length")
    if (lunghezza is not None and lunghezza.isdigit()
            and int(lunghezza) > settings.api_max_upload_mb * MB):
        raise TroppoGrande(f"il file supera il limite di {settings.api_max_upload_mb} MB "
                           "(impostazione api_max_upload_mb)")
    riservato.cartella(Path(settings.data_dir))
    return riservato.cartella_di_lavoro(cartella_upload(settings))


def _file_scelto(modulo: Modulo, campo: str) -> Path | None:
    """A file part, or None when the form's file input was left empty (browsers then send
    an empty part)."""
    path = modulo.file.get(campo)
    if path is None or path.stat().st_size == 0:
        return None
    return path


def _stato_errore(exc: Exception) -> int:
    return 413 if isinstance(exc, TroppoGrande) else 422


async def _in_sessione(request: Request, funzione: Callable[..., Response],
                       *args: Any, **kwargs: Any) -> Response:
    """A page that reads the register, rendered from an async route (the ORM is
    synchronous: in a worker thread, never on the event loop)."""
    def con_sessione() -> Response:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            return funzione(request, session, *args, **kwargs)
    return await run_in_threadpool(con_sessione)


# --- upload and history ----------------------------------------------------------------------

def _pagina_ingest(request: Request, session: Session, persona: Persona, *,
                   prima_di: int | None = None, stato: int = 200,
                   errori: list[tuple[str, str]] | None = None,
                   registro: str = "prestazioni") -> Response:
    righe, prossimo = cr.storico(session=session, prima_di=prima_di)
    return pagina(request, "ingest.html", stato, persona=persona, storico=righe,
                  pagina_dopo=(f"/console/ingest?{urlencode({'prima_di': prossimo})}"
                               if prossimo else None),
                  prima_pagina="/console/ingest" if prima_di else None,
                  errori=errori or [], registro=registro, registri=caricamento.REGISTRI,
                  limite_mb=impostazioni_di(request).api_max_upload_mb)


@router.get("/ingest", response_class=HTMLResponse)
def ingest(request: Request, session: DB, persona: Caricatore,
           prima_di: Annotated[int | None, Query(ge=0)] = None) -> Response:
    return _pagina_ingest(request, session, persona, prima_di=prima_di)


@router.post("/ingest", response_class=HTMLResponse)
async def ingest_carica(request: Request, persona: Caricatore) -> Response:
    """Receive the upload, then ingest it in the background through the API's path
    (servizio.caricamento): the answer is the job's page, which reloads itself until the
    run's summary exists."""
    registro = "prestazioni"
    try:
        with ExitStack() as pila:
            cartella = pila.enter_context(_cartella(request))
            modulo = await _ricevi(request, persona, cartella, {"file", "mapping"},
                                   {"registro"})
            registro = modulo.campi.get("registro") or "prestazioni"
            if registro not in caricamento.REGISTRI:
                raise ErroreUtente(f"registro sconosciuto: {registro!r} "
                                   f"(ammessi: {', '.join(caricamento.REGISTRI)})")
            path = _file_scelto(modulo, "file")
            if path is None:
                raise ErroreUtente("Scegliere il file dell'export da caricare (nessun file "
                                   "ricevuto, o un file vuoto).")
            # from here the folder belongs to the job's thread, which removes it
            ident = await run_in_threadpool(
                lavori_ingest.avvia, pila.pop_all(), engine=request.app.state.engine,
                settings=impostazioni_di(request), path=path, nome=modulo.nomi["file"],
                mapping=_file_scelto(modulo, "mapping"), registro=registro, persona=persona)
    except ErroreUtente as exc:
        return await _in_sessione(request, _pagina_ingest, persona, stato=_stato_errore(exc),
                                  errori=[("file", str(exc))], registro=registro)
    return RedirectResponse(f"/console/ingest/lavori/{ident}", status_code=303)


@router.get("/ingest/lavori/{ident}", response_class=HTMLResponse)
def ingest_lavoro(request: Request, session: DB, persona: Caricatore, ident: str) -> Response:
    """The job's page: "in corso" (reloading itself every few seconds) until the summary,
    where it sends the browser; or why it failed."""
    try:
        job = cr.lavoro(session=session, ident=ident)
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Caricamento non trovato", messaggio=str(exc))
    if job.stato == cr.COMPLETATO and job.ingest_run_id is not None:
        return RedirectResponse(f"/console/ingest/{job.ingest_run_id}?nuovo=1",
                                status_code=303)
    return pagina(request, "ingest_lavoro.html", persona=persona, lavoro=job,
                  ricarica=RICARICA_SECONDI if job.stato == cr.IN_CORSO else None,
                  trascorsi=int((datetime.now() - job.iniziato_il).total_seconds()))


# --- catalog, sites, wards -------------------------------------------------------------------

def _pagina_anagrafiche(request: Request, session: Session, persona: Persona, *,
                        tabella: str, cerca: str = "", dopo: str | None = None,
                        stato: int = 200, errori: list[tuple[str, str]] | None = None,
                        esito: dict[str, int] | None = None, modificata: str | None = None,
                        inseriti: dict[str, str] | None = None) -> Response:
    errori = list(errori or [])
    if tabella not in ANAGRAFICHE:
        errori.append(("tabella", f"Tabella sconosciuta: scegliere tra "
                                  f"{', '.join(ANAGRAFICHE)}."))
        tabella, stato = "prestazioni", 422
    voci, prossimo = cr.voci_anagrafica(session=session, tabella=tabella, cerca=cerca,
                                        dopo=dopo)
    query = {"tabella": tabella, **({"cerca": cerca} if cerca else {})}
    qui = {**query, **({"dopo": dopo} if dopo else {})}
    return pagina(
        request, "anagrafiche.html", stato, persona=persona, tabella=tabella,
        tabelle=NOMI_TABELLE, voci=voci, cerca=cerca, errori=errori, esito=esito,
        modificata=modificata, inseriti=inseriti or {},
        ritorno=f"/console/ingest/anagrafiche?{urlencode(qui)}",
        pagina_dopo=(f"/console/ingest/anagrafiche?{urlencode({**query, 'dopo': prossimo})}"
                     if prossimo else None),
        prima_pagina=f"/console/ingest/anagrafiche?{urlencode(query)}" if dopo else None)


@router.get("/ingest/anagrafiche", response_class=HTMLResponse)
def anagrafiche(request: Request, session: DB, persona: Caricatore,
                tabella: str = "prestazioni", cerca: str = "", dopo: str | None = None,
                aggiunte: Annotated[int | None, Query(ge=0)] = None,
                aggiornate: Annotated[int | None, Query(ge=0)] = None,
                invariate: Annotated[int | None, Query(ge=0)] = None,
                modificata: str | None = None) -> Response:
    esito = ({"aggiunte": aggiunte, "aggiornate": aggiornate or 0, "invariate": invariate or 0}
             if aggiunte is not None else None)
    return _pagina_anagrafiche(request, session, persona, tabella=tabella, cerca=cerca,
                               dopo=dopo, esito=esito, modificata=modificata)


@router.post("/ingest/anagrafiche/import", response_class=HTMLResponse)
async def anagrafiche_importa(request: Request, persona: Caricatore) -> Response:
    """A CSV of services, sites or wards: the CLI's import (`registro catalogo import`)."""
    tabella = "prestazioni"
    try:
        with _cartella(request) as cartella:
            modulo = await _ricevi(request, persona, cartella, {"file"}, {"tabella"})
            tabella = modulo.campi.get("tabella") or "prestazioni"
            path = _file_scelto(modulo, "file")
            if path is None:
                raise ErroreUtente("Scegliere il file CSV da importare (nessun file ricevuto, "
                                   "o un file vuoto).")
            esito = await run_in_threadpool(
                cr.importa_anagrafica, engine=request.app.state.engine, path=path,
                nome=modulo.nomi["file"], tabella=tabella, persona=persona,
                settings=impostazioni_di(request))
    except ErroreUtente as exc:
        return await _in_sessione(
            request, _pagina_anagrafiche, persona,
            tabella=tabella if tabella in ANAGRAFICHE else "prestazioni",
            stato=_stato_errore(exc), errori=[("import-file", str(exc))])
    query = {"tabella": tabella, "aggiunte": esito.aggiunte, "aggiornate": esito.aggiornate,
             "invariate": esito.invariate}
    return RedirectResponse(f"/console/ingest/anagrafiche?{urlencode(query)}",
                            status_code=303)


@router.post("/ingest/anagrafiche/{tabella}/{codice:path}", response_class=HTMLResponse)
async def anagrafiche_modifica(request: Request, tabella: str, codice: str,
                               persona: Caricatore, _csrf: Annotated[None, CSRF],
                               ritorno: Annotated[str, Form()] = "") -> Response:
    """One row edited by hand, audited with the person's name."""
    modulo = await request.form()
    valori = {c: v for c in CAMPI_VOCE if isinstance(v := modulo.get(c), str)}

    def modifica(request: Request, session: Session) -> Response:
        try:
            cr.modifica_voce(session=session, tabella=tabella, codice=codice, valori=valori,
                             persona=persona, settings=impostazioni_di(request))
        except ErroreUtente as exc:
            session.rollback()
            return _pagina_anagrafiche(
                request, session, persona, tabella=tabella, stato=422,
                errori=[(f"voce-{codice}", f"{codice}: {exc}")], inseriti=valori,
                modificata=codice, cerca=codice)
        destinazione = ritorno if ritorno.startswith("/console/ingest/anagrafiche?") else \
            f"/console/ingest/anagrafiche?{urlencode({'tabella': tabella})}"
        return RedirectResponse(f"{destinazione}&{urlencode({'modificata': codice})}",
                                status_code=303)

    return await _in_sessione(request, modifica)


# --- one run: summary and rejects ------------------------------------------------------------

@router.get("/ingest/{run_id}", response_class=HTMLResponse)
def ingest_esito(request: Request, session: DB, persona: Caricatore, run_id: int,
                 dopo: Annotated[int | None, Query(ge=0)] = None, nuovo: bool = False
                 ) -> Response:
    try:
        run = cr.caricamento(session=session, run_id=run_id)
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Caricamento non trovato", messaggio=str(exc))
    scarti, prossimo = cr.scarti(session=session, run_id=run_id, dopo=dopo)
    base = f"/console/ingest/{run_id}"
    return pagina(request, "ingest_esito.html", persona=persona, run=run, scarti=scarti,
                  nuovo=nuovo, csv=f"{base}/scarti.csv",
                  pagina_dopo=f"{base}?{urlencode({'dopo': prossimo})}" if prossimo else None,
                  prima_pagina=base if dopo else None)


@router.get("/ingest/{run_id}/scarti.csv")
def ingest_scarti_csv(request: Request, session: DB, persona: Caricatore,
                      run_id: int) -> Response:
    try:
        cr.caricamento(session=session, run_id=run_id)
    except NonTrovato as exc:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="Caricamento non trovato", messaggio=str(exc))
    return StreamingResponse(
        cr.scarti_csv(engine=request.app.state.engine, run_id=run_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="scarti_{run_id:06d}.csv"',
                 "Cache-Control": "no-store"})
