"""`GET /health`: no token; is the database reachable, when did the last ingest and the last
site build finish."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from servizio.api import service
from servizio.api.deps import EngineDep
from servizio.api.models import SaluteRisposta

router = APIRouter(tags=["servizio"])


@router.get("/health", response_model=SaluteRisposta, summary="Stato del servizio",
            responses={503: {"model": SaluteRisposta,
                             "description": "Il database non risponde."}})
async def health(engine: EngineDep) -> SaluteRisposta | JSONResponse:
    """Senza token. `database`: raggiungibile o no (allora 503); fine dell'ultimo caricamento
    riuscito e dell'ultima costruzione del sito pubblico."""
    stato = SaluteRisposta.model_validate(await run_in_threadpool(service.salute,
                                                                  engine=engine))
    if stato.database != "raggiungibile":
        return JSONResponse(stato.model_dump(mode="json"), status_code=503)
    return stato
