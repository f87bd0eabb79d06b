"""`/ricoveri`: the planned-admission list, with history and out-of-order admissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from registro.types import ClasseRicovero, StatoRicovero
from servizio.api import service
from servizio.api.deps import EngineDep, Lettore, SessionDep, oscura_assistito
from servizio.api.errori import risposte
from servizio.api.models import (
    FuoriOrdinePublic,
    Pagina,
    RicoveroDettaglioPublic,
    RicoveroPublic,
)
from servizio.api.parametri import SENZA_NUL, Periodo, PerPagina
from servizio.api.parametri import Pagina as NumeroPagina

router = APIRouter(prefix="/ricoveri", tags=["ricoveri"], responses=risposte(401, 403, 422))


@router.get("", response_model=Pagina[RicoveroPublic], summary="Elenco dei ricoveri programmati")
def elenco(
    utente: Lettore,
    session: SessionDep,
    reparto: Annotated[str | None, Query(max_length=40, pattern=SENZA_NUL,
                                         description="Codice del reparto.")] = None,
    patologia: Annotated[str | None, Query(max_length=20, pattern=SENZA_NUL,
                                           description="Codice della patologia.")] = None,
    classe: Annotated[ClasseRicovero | None, Query(description="Classe A, B, C o D.")] = None,
    stato: Annotated[StatoRicovero | None, Query(description="Stato della voce.")] = None,
    periodo: Periodo = None,
    superamento: Annotated[bool | None, Query(
        description="Solo le voci oltre l'attesa massima (true) o le altre (false).")] = None,
    fuori_ordine: Annotated[bool | None, Query(
        description="Solo i ricoveri fuori ordine (true) o gli altri (false).")] = None,
    pagina: NumeroPagina = 1,
    per_pagina: PerPagina = 50,
) -> Pagina[RicoveroPublic]:
    """Le voci della lista dei ricoveri programmati (ultima versione) con i campi derivati
    dall'ultima verifica; il periodo seleziona per data di inserimento in lista."""
    totale, righe = service.elenco_ricoveri(
        session=session, pagina=pagina, per_pagina=per_pagina, reparto=reparto,
        patologia=patologia, classe=classe, stato=stato, periodo=periodo,
        superamento=superamento, fuori_ordine=fuori_ordine)
    return Pagina[RicoveroPublic](
        totale=totale, pagina=pagina, per_pagina=per_pagina,
        elementi=[RicoveroPublic.model_validate(oscura_assistito(r.model_dump(), utente))
                  for r in righe])


@router.get("/fuori-ordine", response_model=list[FuoriOrdinePublic],
            summary="Ricoveri fuori ordine cronologico")
async def fuori_ordine(_utente: Lettore, engine: EngineDep) -> list[FuoriOrdinePublic]:
    """Ogni coppia (ricovero fuori ordine, voce che ha scavalcato): stesso reparto, classe
    uguale o più urgente, inserita prima e ancora in attesa il giorno del ricovero."""
    coppie = await run_in_threadpool(service.coppie_fuori_ordine, engine=engine)
    return [FuoriOrdinePublic.model_validate(c) for c in coppie]


@router.get("/{id_ricovero}", response_model=RicoveroDettaglioPublic,
            responses=risposte(404), summary="Una voce della lista")
def dettaglio(
    utente: Lettore,
    session: SessionDep,
    engine: EngineDep,
    id_ricovero: Annotated[str, Path(max_length=64, pattern=SENZA_NUL,
                                     description="Identificativo della voce.")],
) -> RicoveroDettaglioPublic:
    """Una voce con lo storico delle versioni, i campi derivati, le voci che ha scavalcato
    e le motivazioni."""
    return RicoveroDettaglioPublic.model_validate(oscura_assistito(
        service.dettaglio_ricovero(session=session, engine=engine, id_ricovero=id_ricovero),
        utente))
