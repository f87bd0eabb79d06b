"""One error body for every 4xx: `{"errore": …, "dettaglio": …}`, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from registro.errors import Conflitto, ErroreUtente, NonTrovato, TroppoGrande

log = logging.getLogger("servizio.api")



class ErrorePublic(BaseModel):
    """Corpo di ogni risposta di errore."""

    model_config = ConfigDict(extra="forbid")
    errore: str = Field(description="Che cosa non va, in breve.")
    dettaglio: Any = Field(
        default=None,
        description="Dettagli: un testo, o l'elenco dei campi non validi "
                    "(`campo`, `messaggio`) per gli errori di validazione.")


TITOLI = {
    400: "richiesta non valida", 401: "autenticazione richiesta", 403: "operazione non consentita",
    404: "risorsa non trovata", 405: "metodo non ammesso", 409: "conflitto con lo stato attuale",
    413: "file troppo grande", 415: "tipo di contenuto non supportato",
    422: "dati non validi", 500: "errore interno", 503: "servizio non disponibile",
}


def corpo(status: int, dettaglio: Any = None, errore: str | None = None) -> dict[str, Any]:
    return {"errore": errore or TITOLI.get(status, "errore"), "dettaglio": dettaglio}


def risposta(status: int, dettaglio: Any = None, errore: str | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(corpo(status, dettaglio, errore), status_code=status, headers=headers)


def risposte(*codici: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting the error body for the given codes."""
    return {c: {"model": ErrorePublic, "description": TITOLI.get(c, "errore")} for c in codici}


def _campo(loc: tuple[Any, ...] | list[Any]) -> str:
    parti = [str(p) for p in loc]
    if parti and parti[0] in ("body", "query", "path", "header"):
        parti = parti[1:] or parti
    return ".".join(parti)


def _elenco(valori: Any) -> str:
    return str(valori).replace("'", "")


MESSAGGI: dict[str, str] = {
    "missing": "campo obbligatorio mancante",
    "extra_forbidden": "campo non previsto",
    "int_parsing": "serve un numero intero",
    "int_type": "serve un numero intero",
    "int_from_float": "serve un numero intero, senza decimali",
    "float_parsing": "serve un numero",
    "float_type": "serve un numero",
    "decimal_parsing": "serve un numero decimale",
    "decimal_type": "serve un numero decimale",
    "bool_parsing": "serve un valore vero o falso (true o false)",
    "bool_type": "serve un valore vero o falso (true o false)",
    "string_type": "serve un testo",
    "string_too_short": "testo troppo corto: almeno {min_length} caratteri",
    "string_too_long": "testo troppo lungo: al massimo {max_length} caratteri",
    "string_pattern_mismatch": "formato non valido",
    "too_short": "troppo pochi elementi: almeno {min_length}",
    "too_long": "troppi elementi: al massimo {max_length}",
    "greater_than_equal": "deve essere maggiore o uguale a {ge}",
    "greater_than": "deve essere maggiore di {gt}",
    "less_than_equal": "deve essere minore o uguale a {le}",
    "less_than": "deve essere minore di {lt}",
    "literal_error": "valore non ammesso: ammessi {expected}",
    "enum": "valore non ammesso: ammessi {expected}",
    "date_parsing": "data non valida: serve AAAA-MM-GG",
    "date_from_datetime_parsing": "data non valida: serve AAAA-MM-GG",
    "date_type": "data non valida: serve AAAA-MM-GG",
    "datetime_parsing": "data e ora non valide: serve AAAA-MM-GGThh:mm",
    "datetime_from_date_parsing": "data e ora non valide: serve AAAA-MM-GGThh:mm",
    "datetime_type": "data e ora non valide: serve AAAA-MM-GGThh:mm",
    "json_invalid": "JSON non valido",
    "json_type": "JSON non valido",
    "model_attributes_type": "serve un oggetto JSON",
    "model_type": "serve un oggetto JSON",
    "dict_type": "serve un oggetto JSON",
    "list_type": "serve un elenco",
    "decimal_max_digits": "troppe cifre: al massimo {max_digits}",
    "decimal_max_places": "troppi decimali: al massimo {decimal_places}",
    "multiple_of": "deve essere un multiplo di {multiple_of}",
}
"""pydantic's messages in Italian, by error type; `{…}` are taken from the error's context.
A type not listed keeps pydantic's message (a rare one: better English than nothing)."""


def messaggio(errore: dict[str, Any]) -> str:
    """The message of one validation error in Italian. A `ValueError` raised by the
    application's own validators already speaks Italian: pydantic's prefix is dropped."""
    tipo = str(errore.get("type", ""))
    ctx = {k: _elenco(v) for k, v in (errore.get("ctx") or {}).items()}
    modello = MESSAGGI.get(tipo)
    if modello is not None:
        try:
            return modello.format(**ctx)
        except (KeyError, IndexError):
            return modello.split(":")[0]
    testo = str(errore.get("msg", ""))
    for prefisso in ("Value error, ", "Assertion failed, "):
        testo = testo.removeprefix(prefisso)
    return testo


def installa(app: FastAPI) -> None:
    """Register the handlers that turn every error into the common body."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        dettaglio = exc.detail if exc.detail != TITOLI.get(exc.status_code) else None
        if isinstance(dettaglio, str) and dettaglio in ("Not Found", "Method Not Allowed"):
            dettaglio = None
        return risposta(exc.status_code, dettaglio, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validazione(_req: Request, exc: RequestValidationError) -> JSONResponse:
        campi = [{"campo": _campo(e.get("loc", ())), "messaggio": messaggio(e)}
                 for e in exc.errors()]
        return risposta(422, jsonable_encoder(campi))

    @app.exception_handler(NonTrovato)
    async def _non_trovato(_req: Request, exc: NonTrovato) -> JSONResponse:
        return risposta(404, str(exc))

    @app.exception_handler(Conflitto)
    async def _conflitto(_req: Request, exc: Conflitto) -> JSONResponse:
        return risposta(409, str(exc))

    @app.exception_handler(TroppoGrande)
    async def _troppo_grande(_req: Request, exc: TroppoGrande) -> JSONResponse:
        # The client may still be sending: closing the connection stops it.
        return risposta(413, str(exc), headers={"Connection": "close"})

    @app.exception_handler(ErroreUtente)
    async def _utente(_req: Request, exc: ErroreUtente) -> JSONResponse:
        return risposta(422, str(exc))

    @app.exception_handler(Exception)
    async def _interno(req: Request, exc: Exception) -> JSONResponse:
        log.exception("errore interno su %s %s", req.method, req.url.path)
        return risposta(500, "errore inatteso: è stato registrato nel log del server")
