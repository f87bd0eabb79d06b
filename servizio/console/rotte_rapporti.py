"""`/console/rapporti`: the archive of the periodic reports (download), the scheduled jobs
with their next and last run and its outcome, the run log, and "esegui ora" for the
Direzione. The archive and the jobs are `reports.archivio`'s and `servizio.scheduled`'s; this
module only shows them and asks for the permission and the CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from registro.errors import ErroreUtente
from servizio.console import rapporti as rp
from servizio.console.rapporti import Esito
from servizio.console.service import Persona
from servizio.console.web import CSRF, DB, impostazioni_di, pagina, richiede_permesso

router = APIRouter(prefix="/console", include_in_schema=False)

Lettore = Annotated[Persona, Depends(richiede_permesso("leggere_rapporti"))]
Esecutore = Annotated[Persona, Depends(richiede_permesso("eseguire_rapporti"))]


def _pagina(request: Request, session: DB, persona: Persona, *, esito: Esito | None = None,
            stato: int = 200, errori: list[tuple[str, str]] | None = None) -> Response:
    return pagina(request, "rapporti.html", stato, persona=persona,
                  archivio=rp.archivio(session=session),
                  lavori=rp.lavori(engine=request.app.state.engine,
                                   settings=impostazioni_di(request)),
                  esecuzioni=rp.esecuzioni(session=session), esito=esito,
                  errori=errori or [], puo_eseguire=persona.puo("eseguire_rapporti"),
                  fuso=impostazioni_di(request).scheduler_fuso)


@router.get("/rapporti", response_class=HTMLResponse)
def rapporti(request: Request, session: DB, persona: Lettore) -> Response:
    return _pagina(request, session, persona)


@router.get("/rapporti/archivio/{run_id}/{nome:path}")
def scarica(request: Request, session: DB, persona: Lettore,
            run_id: str, nome: str) -> Response:
    numero = int(run_id) if run_id.isascii() and run_id.isdigit() and len(run_id) < 10 \
        else None
    percorso = None if numero is None else rp.file_archiviato(
        session=session, settings=impostazioni_di(request), run_id=numero, nome=nome)
    if percorso is None:
        return pagina(request, "errore.html", 404, persona=persona,
                      titolo="File non trovato",
                      messaggio="Nessun file con questo nome nell'archivio dei rapporti.")
    return FileResponse(percorso, filename=percorso.name,
                        headers={"Cache-Control": "no-store",
                                 "X-Content-Type-Options": "nosniff"})


@router.post("/rapporti/esegui", response_class=HTMLResponse)
def esegui(request: Request, session: DB, persona: Esecutore, _csrf: Annotated[None, CSRF],
           lavoro: Annotated[str, Form()] = "") -> Response:
    """Runs the job in this request and shows its outcome on the page (a report takes
    seconds; the scheduler's claim keeps a second click from running it twice at once)."""
    try:
        esito = rp.esegui_ora(engine=request.app.state.engine,
                              settings=impostazioni_di(request), persona=persona,
                              job_id=lavoro)
    except ErroreUtente as exc:
        return _pagina(request, session, persona, stato=422, errori=[("lavori", str(exc))])
    return _pagina(request, session, persona, esito=esito)
