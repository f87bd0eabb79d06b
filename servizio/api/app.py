"""`create_app(settings)`: the API application, built from the settings passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cup.ingest import cartella_upload
from registro import riservato
from registro.db import make_engine
from registro.settings import Settings, load_settings
from servizio.api import (
    documentazione,
    health,
    ingest,
    motivazioni,
    prenotazioni,
    ricoveri,
    sanzioni,
    segnalazioni,
    stats,
)
from servizio.api.errori import installa
from servizio.console.montaggio import installa as installa_console

DESCRIZIONE = """
API interna del registro dei tempi di attesa, per la Direzione Sanitaria, l'ufficio CUP e
l'Ufficio di Pubblica Tutela.

**Autenticazione**: `Authorization: Bearer <token>`; i token si creano con
`registro token create --ruolo direzione|cup|upt|lettura --nome NOME` (mostrato una volta
sola, conservato solo come impronta SHA-256) e si revocano con `registro token revoke`.

**Ruoli**: `direzione` tutto, comprese le motivazioni; `cup` il caricamento degli export;
`upt` gli stati di bonum e malum e le segnalazioni dei cittadini (`/segnalazioni`: solo
`upt` scrive e vede il recapito del cittadino; la Direzione le legge senza recapito);
`lettura` solo consultazione. Senza token valido 401,
con il ruolo sbagliato 403. Ogni scrittura è registrata nella tabella `audit`.

**Errori**: sempre `{"errore": …, "dettaglio": …}`; importi in euro come testo ("25.82").
"""


def create_app(settings: Settings) -> FastAPI:
    """Build the application; the engine is created here and disposed at shutdown."""
    engine = make_engine(settings.db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # An upload cut by a killed server left the raw export (codici fiscali in clear)
        # under data_dir/upload: remove it (uploads of live workers are locked, kept).
        riservato.rimuovi_abbandonate(cartella_upload(settings))
        yield
        engine.dispose()

    app = FastAPI(
        title="registro — API interna",
        description=DESCRIZIONE,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "prenotazioni", "description": "Registro delle prestazioni specialistiche."},
            {"name": "ricoveri", "description": "Lista dei ricoveri programmati."},
            {"name": "motivazioni", "description": "Motivazioni dei superamenti e dei "
                                                   "ricoveri fuori ordine."},
            {"name": "sanzioni", "description": "Bonum, malum e rimborsi."},
            {"name": "segnalazioni", "description": "Pubblica tutela: segnalazioni e reclami "
                                                    "dei cittadini (ruolo upt)."},
            {"name": "ingest", "description": "Caricamento degli export."},
            {"name": "statistiche", "description": "Tabelle dei tempi di attesa e lista di "
                                                   "monitoraggio."},
            {"name": "servizio", "description": "Stato del servizio."},
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.cache_tabelle = stats.CacheTabelle()
    installa(app)
    documentazione.installa(app)
    for modulo in (prenotazioni, ricoveri, motivazioni, sanzioni, segnalazioni, ingest, stats,
                   health):
        app.include_router(modulo.router)
    installa_console(app)
    return app


def app_da_ambiente() -> FastAPI:
    """Factory for `uvicorn --factory` (several workers): settings from the environment."""
    riservato.applica_umask()
    return create_app(load_settings())
