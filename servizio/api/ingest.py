"""`POST /ingest` (cup): upload a CUP export or a planned-admission list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from cup.ingest import cartella_upload
from registro import riservato
from registro.errors import ErroreUtente, TroppoGrande
from servizio import caricamento
from servizio.api.deps import EngineDep, SettingsDep, Utente, richiede
from servizio.api.errori import risposte
from servizio.api.models import EsitoIngestPublic
from servizio.upload import ricevi_modulo

router = APIRouter(tags=["ingest"], responses=risposte(401, 403, 413, 422))

MB = 1024 * 1024
REGISTRI = caricamento.REGISTRI

_CORPO = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "L'export: CSV (`;` `,` tab `|`), Parquet o JSON "
                                        "Lines."},
                "registro": {"type": "string", "enum": list(REGISTRI),
                             "default": "prestazioni",
                             "description": "prestazioni (export CUP) o ricoveri (lista dei "
                                            "ricoveri programmati)."},
                "mapping": {"type": "string", "format": "binary",
                            "description": "Mapping TOML delle colonne (facoltativo)."},
            },
        }}},
    },
}


@router.post("/ingest", response_model=EsitoIngestPublic, openapi_extra=_CORPO,
             summary="Carica un export nel registro")
async def carica(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    utente: Annotated[Utente, Depends(richiede("cup"))],
) -> EsitoIngestPublic:
    """Carica un export CUP (o, con `registro=ricoveri`, una lista dei ricoveri programmati)
    come `registro ingest --json`, con la stessa risposta. Il file è scritto su disco a
    blocchi mentre arriva; oltre il limite (`api_max_upload_mb`) la richiesta è rifiutata
    subito con 413. Un file illeggibile è un 422 con il motivo. Ruoli `cup` e
    `direzione`."""
    limite = settings.api_max_upload_mb * MB
    lunghezza = request.headers.get("content-length")
    if lunghezza is not None and lunghezza.isdigit() and int(lunghezza) > limite:
        raise TroppoGrande(f"il file supera il limite di {settings.api_max_upload_mb} MB "
                           "(impostazione api_max_upload_mb)")
    riservato.cartella(Path(settings.data_dir))
    with riservato.cartella_di_lavoro(cartella_upload(settings)) as cartella:
        modulo = await ricevi_modulo(request.stream(), request.headers.get("content-type"),
                                     cartella, limite, campi_file={"file", "mapping"},
                                     campi_testo={"registro"})
        if "file" not in modulo.file:
            raise ErroreUtente("manca il campo `file` con l'export da caricare")
        registro = modulo.campi.get("registro", "prestazioni") or "prestazioni"
        if registro not in REGISTRI:
            raise ErroreUtente(f"registro sconosciuto: {registro!r} "
                               f"(ammessi: {', '.join(REGISTRI)})")
        path = modulo.file["file"]
        nome = modulo.nomi["file"]
        esito = await run_in_threadpool(_ingest, path, nome, engine, settings,
                                        modulo.file.get("mapping"), registro, utente)
    return EsitoIngestPublic.model_validate(esito)


def _ingest(path: Path, nome: str, engine: Any, settings: Any, mapping: Path | None,
            registro: str, utente: Utente) -> dict[str, Any]:
    esito = caricamento.carica(path, nome, engine=engine, settings=settings, mapping=mapping,
                               registro=registro, utente=utente.nome, ruolo=utente.ruolo,
                               azione="POST /ingest")
    if utente.ruolo != "direzione":
        # Server paths tell the layout of the data folder: the CUP's operators need only
        # the names (the keys stay: they are the contract of `registro ingest --json`).
        # The audit row keeps the full paths.
        esito = {**esito, **{k: Path(str(esito[k])).name
                             for k in ("file_scarti", "archiviato_in")}}
    return esito
