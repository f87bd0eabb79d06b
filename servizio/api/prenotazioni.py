"""`/prenotazioni`: the specialistica register, with history, derived fields and sanctions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from registro.types import ClassePriorita, StatoPrenotazione
from servizio.api import service
from servizio.api.deps import Lettore, SessionDep, oscura_assistito
from servizio.api.errori import risposte
from servizio.api.models import Pagina, PrenotazioneDettaglioPublic, PrenotazionePublic
from servizio.api.parametri import SENZA_NUL, Periodo, PerPagina
from servizio.api.parametri import Pagina as NumeroPagina

router = APIRouter(prefix="/prenotazioni", tags=["prenotazioni"],
                   responses=risposte(401, 403, 422))


@router.get("", response_model=Pagina[PrenotazionePublic],
            summary="Elenco delle prenotazioni")
def elenco(
    utente: Lettore,
    session: SessionDep,
    prestazione: Annotated[str | None, Query(max_length=20, pattern=SENZA_NUL,
                                             description="Codice della prestazione.")] = None,
    sede: Annotated[str | None, Query(max_length=40, pattern=SENZA_NUL,
                                      description="Codice della sede.")] = None,
    classe: Annotated[ClassePriorita | None, Query(description="Classe di priorità.")] = None,
    stato: Annotated[StatoPrenotazione | None, Query(
        description="Stato della prenotazione.")] = None,
    periodo: Periodo = None,
    superamento: Annotated[bool | None, Query(
        description="Solo i superamenti dello standard (true) o solo gli altri (false).")
    ] = None,
    in_garanzia: Annotated[bool | None, Query(
        description="Solo le prenotazioni in garanzia (true) o fuori garanzia (false).")
    ] = None,
    pagina: NumeroPagina = 1,
    per_pagina: PerPagina = 50,
) -> Pagina[PrenotazionePublic]:
    """Le prenotazioni del registro (ultima versione di ciascuna) con i campi derivati
    dall'ultima verifica; il periodo seleziona per data di prenotazione. Ordinate per
    identificativo."""
    totale, righe = service.elenco_prenotazioni(
        session=session, pagina=pagina, per_pagina=per_pagina, prestazione=prestazione,
        sede=sede, classe=classe, stato=stato, periodo=periodo, superamento=superamento,
        in_garanzia=in_garanzia)
    return Pagina[PrenotazionePublic](
        totale=totale, pagina=pagina, per_pagina=per_pagina,
        elementi=[PrenotazionePublic.model_validate(
            oscura_assistito(service.prenotazione_dict(p), utente)) for p in righe])


@router.get("/{id_prenotazione}", response_model=PrenotazioneDettaglioPublic,
            responses=risposte(404), summary="Una prenotazione")
def dettaglio(
    utente: Lettore,
    session: SessionDep,
    id_prenotazione: Annotated[str, Path(max_length=64, pattern=SENZA_NUL,
                                         description="Identificativo CUP.")],
) -> PrenotazioneDettaglioPublic:
    """Una prenotazione con lo storico delle versioni ricevute, i campi derivati, le
    sanzioni (importi in euro come testo, es. "25.82") e le motivazioni."""
    return PrenotazioneDettaglioPublic.model_validate(oscura_assistito(
        service.dettaglio_prenotazione(session=session, id_prenotazione=id_prenotazione),
        utente))
