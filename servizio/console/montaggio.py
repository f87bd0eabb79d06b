"""Mount the console on the API's application: every area's routes, the static files
(Bootstrap Italia from the site's pinned npm package, served locally) and the error pages.
A new area adds its route module to `AREE` and its entry to `menu.VOCI`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from public_site.statici import BOOTSTRAP_ITALIA
from servizio.console import (
    rotte,
    rotte_ingest,
    rotte_rapporti,
    rotte_sanzioni,
    rotte_segnalazioni,
)
from servizio.console.web import QUI, NonAutenticato, Vietato, pagina

AREE: tuple[APIRouter, ...] = (
    rotte.router,
    rotte_sanzioni.router,
    rotte_segnalazioni.router,
    rotte_rapporti.router,
    rotte_ingest.router,
)


def installa(app: FastAPI) -> None:
    for router in AREE:
        app.include_router(router)
    app.mount("/console/static/bootstrap-italia",
              StaticFiles(directory=BOOTSTRAP_ITALIA, check_dir=False),
              name="console-bootstrap-italia")
    app.mount("/console/static/console", StaticFiles(directory=QUI / "static"),
              name="console-statici")

    @app.exception_handler(NonAutenticato)
    def _non_autenticato(request: Request, exc: NonAutenticato) -> Response:
        return RedirectResponse(f"/console/accesso?{urlencode({'prossima': exc.prossima})}",
                                status_code=303)

    @app.exception_handler(Vietato)
    def _vietato(request: Request, exc: Vietato) -> Response:
        return pagina(request, "errore.html", 403, titolo="Accesso negato",
                      messaggio=exc.motivo)
