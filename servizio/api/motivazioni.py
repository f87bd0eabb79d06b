"""`POST /motivazioni` (direzione): the reason for a breach or an out-of-order admission."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from registro.audit import registra_audit
from registro.db import transazione
from registro.motivazioni import registra
from servizio.api.deps import EngineDep, Utente, richiede
from servizio.api.errori import risposte
from servizio.api.models import MotivazionePublic, MotivazioneRichiesta

router = APIRouter(prefix="/motivazioni", tags=["motivazioni"],
                   responses=risposte(401, 403, 422))


@router.post("", response_model=MotivazionePublic, status_code=201,
             summary="Registra una motivazione")
def crea(
    richiesta: MotivazioneRichiesta,
    request: Request,
    engine: EngineDep,
    utente: Annotated[Utente, Depends(richiede("direzione"))],
) -> MotivazionePublic:
    """Registra la motivazione di un superamento (prestazioni o ricoveri) o di un ricovero
    fuori ordine; l'autore è il nome del token. Una nuova motivazione sostituisce la
    precedente, che resta agli atti. Solo il ruolo `direzione`."""
    with transazione(engine) as session:
        m = registra(session=session, registro=richiesta.registro,
                     riferimento=richiesta.riferimento, testo=richiesta.testo,
                     autore=utente.nome, oggetto=richiesta.oggetto)
        pubblica = MotivazionePublic.model_validate(m.model_dump())
        registra_audit(
            session=session, utente=utente.nome, ruolo=utente.ruolo,
            azione=f"POST {request.url.path}", risorsa="motivazione",
            riferimento=str(m.id), prima=None, dopo=pubblica.model_dump(mode="json"))
    return pubblica
