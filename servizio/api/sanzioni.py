"""`/sanzioni`: bonum, malum and refunds; the UPT moves them through their states."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from registro import stato_sanzioni
from registro.audit import registra_audit
from registro.db import transazione
from registro.stato_sanzioni import sanzione_dict
from registro.types import StatoSanzione, TipoSanzione
from servizio.api import service
from servizio.api.deps import EngineDep, Lettore, SessionDep, Utente, richiede
from servizio.api.errori import risposte
from servizio.api.models import CambioStatoRichiesta, Pagina, SanzionePublic
from servizio.api.parametri import SENZA_NUL, GiornoIso, PerPagina
from servizio.api.parametri import Pagina as NumeroPagina

router = APIRouter(prefix="/sanzioni", tags=["sanzioni"], responses=risposte(401, 403, 422))


@router.get("", response_model=Pagina[SanzionePublic], summary="Elenco delle sanzioni")
def elenco(
    _utente: Lettore,
    session: SessionDep,
    id_prenotazione: Annotated[str | None, Query(max_length=64, pattern=SENZA_NUL,
                                                 description="Prenotazione.")] = None,
    tipo: Annotated[TipoSanzione | None, Query(description="Tipo di record.")] = None,
    stato: Annotated[StatoSanzione | None, Query(description="Stato.")] = None,
    dal: Annotated[GiornoIso | None, Query(description="Emesse da questa data (AAAA-MM-GG).")
                   ] = None,
    al: Annotated[GiornoIso | None, Query(description="Emesse fino a questa data, inclusa.")
                  ] = None,
    pagina: NumeroPagina = 1,
    per_pagina: PerPagina = 50,
) -> Pagina[SanzionePublic]:
    """Bonum, malum e rimborsi con il loro stato; importi in euro come testo ("25.82")."""
    totale, righe = service.elenco_sanzioni(
        session=session, pagina=pagina, per_pagina=per_pagina,
        id_prenotazione=id_prenotazione, tipo=tipo, stato=stato, dal=dal, al=al)
    return Pagina[SanzionePublic](
        totale=totale, pagina=pagina, per_pagina=per_pagina,
        elementi=[SanzionePublic.model_validate(sanzione_dict(s)) for s in righe])


@router.patch("/{id_sanzione}", response_model=SanzionePublic,
              responses=risposte(404, 409), summary="Cambia lo stato di una sanzione")
def cambia_stato(
    richiesta: CambioStatoRichiesta,
    request: Request,
    engine: EngineDep,
    utente: Annotated[Utente, Depends(richiede("upt"))],
    id_sanzione: Annotated[int, Path(ge=1, le=2**31 - 1, description="Numero del record.")],
) -> SanzionePublic:
    """Porta una sanzione al nuovo stato: emesso → notificato → pagato; emesso o notificato
    → contestato; contestato → emesso (contestazione respinta) o annullato; qualunque stato
    non finale → annullato, con il motivo obbligatorio. `pagato` e `annullato` sono finali:
    una transizione non ammessa è un 409. Ruoli `upt` e `direzione`."""
    with transazione(engine) as session:
        prima, s = stato_sanzioni.cambia_stato(session=session, id_sanzione=id_sanzione,
                                        stato=richiesta.stato, motivo=richiesta.motivo)
        dopo = sanzione_dict(s)
        registra_audit(
            session=session, utente=utente.nome, ruolo=utente.ruolo,
            azione=f"PATCH {request.url.path}", risorsa="sanzione",
            riferimento=str(id_sanzione), prima=prima,
            dopo={**dopo, "motivo_cambio": richiesta.motivo})
    return SanzionePublic.model_validate(dopo)
