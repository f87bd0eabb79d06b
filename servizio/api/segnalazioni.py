"""`/segnalazioni`: the Ufficio di Pubblica Tutela's register of reports and complaints.

Roles. The UPT (`upt`) records and reads everything, the citizen's contact included. The
Direzione reads the register without the contact (Carta §3.3 A: the complaints go to it for
the decision) but does not write: the UPT is independent of the authority's structures
(seeds/000), so here — unlike the rest of the API — `direzione` is not admitted to the
writes. `cup` and `lettura` get 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from registro.db import transazione
from registro.tutela import regole, service
from registro.types import CanaleSegnalazione, StatoSegnalazione, TipoSegnalazione
from reports import documenti_tutela as documenti
from servizio.api.deps import EngineDep, SessionDep, SettingsDep, Utente, richiede
from servizio.api.errori import risposte
from servizio.api.models import (
    Pagina,
    PassoRichiesta,
    SegnalazioneDettaglioPublic,
    SegnalazionePublic,
    SegnalazioneRichiesta,
)
from servizio.api.parametri import SENZA_NUL, GiornoIso, PerPagina
from servizio.api.parametri import Pagina as NumeroPagina

router = APIRouter(prefix="/segnalazioni", tags=["segnalazioni"],
                   responses=risposte(401, 403, 422))

IdSegnalazione = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numero della "
                                                                     "segnalazione.")]
Lettore = Annotated[Utente, Depends(richiede("upt"))]


def _solo_upt(utente: Lettore) -> Utente:
    if utente.ruolo != "upt":
        raise HTTPException(403, "solo il ruolo 'upt': l'Ufficio di Pubblica Tutela è "
                                 "indipendente e il suo registro lo scrive solo l'ufficio")
    return utente


Upt = Annotated[Utente, Depends(_solo_upt)]


def _autore(utente: Utente, request: Request) -> service.Autore:
    return service.Autore(nome=utente.nome, ruolo=utente.ruolo,
                          azione=f"{request.method} {request.url.path}")


@router.get("", response_model=Pagina[SegnalazionePublic], summary="Elenco delle segnalazioni")
def elenco(
    _utente: Lettore,
    session: SessionDep,
    settings: SettingsDep,
    stato: Annotated[StatoSegnalazione | None, Query(description="Ultimo passo.")] = None,
    tipo: Annotated[TipoSegnalazione | None, Query(description="Tipo.")] = None,
    canale: Annotated[CanaleSegnalazione | None, Query(description="Canale.")] = None,
    dal: Annotated[GiornoIso | None, Query(description="Ricevute da questa data.")] = None,
    al: Annotated[GiornoIso | None, Query(description="Ricevute fino a questa data, inclusa.")
                  ] = None,
    id_prenotazione: Annotated[str | None, Query(max_length=64, pattern=SENZA_NUL,
                                                 description="Prenotazione collegata.")
                               ] = None,
    id_sanzione: Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                             description="Sanzione contestata.")] = None,
    in_ritardo: Annotated[bool | None, Query(
        description="Solo quelle con un termine scaduto (true) o senza (false).")] = None,
    pagina: NumeroPagina = 1,
    per_pagina: PerPagina = 50,
) -> Pagina[SegnalazionePublic]:
    """Le segnalazioni senza il recapito del cittadino, per numero, con i termini del
    Regolamento di Pubblica Tutela e il loro stato a oggi. Ruoli `upt` e `direzione`."""
    termini = regole.Termini.da_impostazioni(settings)
    oggi = date.today()
    totale, righe = service.elenco(
        session=session, termini=termini, oggi=oggi, pagina=pagina, per_pagina=per_pagina,
        stato=stato, tipo=tipo, canale=canale, dal=dal, al=al,
        id_prenotazione=id_prenotazione, id_sanzione=id_sanzione, in_ritardo=in_ritardo)
    return Pagina[SegnalazionePublic](
        totale=totale, pagina=pagina, per_pagina=per_pagina,
        elementi=[SegnalazionePublic.model_validate(
            service.pubblica(s, termini=termini, oggi=oggi)) for s in righe])


@router.get("/{id_segnalazione}", response_model=SegnalazioneDettaglioPublic,
            responses=risposte(404), summary="Una segnalazione")
def dettaglio(
    utente: Lettore,
    session: SessionDep,
    settings: SettingsDep,
    id_segnalazione: IdSegnalazione,
) -> SegnalazioneDettaglioPublic:
    """Una segnalazione con tutti i suoi passi; il recapito del cittadino solo per il ruolo
    `upt` (per la Direzione `contatto` è null)."""
    return SegnalazioneDettaglioPublic.model_validate(service.dettaglio(
        session=session, id_segnalazione=id_segnalazione,
        termini=regole.Termini.da_impostazioni(settings), oggi=date.today(),
        con_contatto=utente.ruolo == "upt"))


@router.post("", response_model=SegnalazioneDettaglioPublic, status_code=201,
             summary="Registra una segnalazione")
def crea(
    richiesta: SegnalazioneRichiesta,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    utente: Upt,
) -> SegnalazioneDettaglioPublic:
    """Registra una segnalazione ricevuta (art. 2). Una segnalazione presentata oltre i
    giorni dell'art. 3 è registrata e segnalata come tardiva, mai respinta. Collegata a una
    sanzione ne è la contestazione. Solo il ruolo `upt`."""
    oggi = date.today()
    c = richiesta.contatto
    with transazione(engine) as session:
        s = service.crea(
            session=session, autore=_autore(utente, request), oggi=oggi,
            canale=richiesta.canale, tipo=richiesta.tipo, oggetto=richiesta.oggetto,
            ricevuta_il=richiesta.ricevuta_il or oggi,
            ricevuta_da=richiesta.ricevuta_da or utente.nome,
            data_conoscenza=richiesta.data_conoscenza, servizio=richiesta.servizio,
            id_prenotazione=richiesta.id_prenotazione, id_ricovero=richiesta.id_ricovero,
            id_sanzione=richiesta.id_sanzione, nota=richiesta.nota,
            contatto=service.Contatto(**c.model_dump()) if c is not None else None,
            presentata_da=richiesta.presentata_da, urgente=richiesta.urgente)
        assert s.id is not None
        out = service.dettaglio(session=session, id_segnalazione=s.id,
                                termini=regole.Termini.da_impostazioni(settings), oggi=oggi,
                                con_contatto=True)
    return SegnalazioneDettaglioPublic.model_validate(out)


@router.post("/{id_segnalazione}/passi", response_model=SegnalazioneDettaglioPublic,
             status_code=201, responses=risposte(404, 409), summary="Registra un passo")
def passo(
    richiesta: PassoRichiesta,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    utente: Upt,
    id_segnalazione: IdSegnalazione,
) -> SegnalazioneDettaglioPublic:
    """Il passo successivo: ricevuta → risolta (con esito) oppure trasmessa (art. 4) →
    servizi_informati (art. 5) → informazioni_ricevute (art. 5) → risposta_inviata (con
    esito); da risolta o risposta_inviata → riesame (art. 7 f) → riesame_concluso (con
    esito). Un passo fuori sequenza è un 409. Per una sanzione contestata l'esito accolta la
    annulla, respinta la conferma. Solo il ruolo `upt`."""
    oggi = date.today()
    with transazione(engine) as session:
        service.registra_passo(
            session=session, autore=_autore(utente, request), oggi=oggi,
            id_segnalazione=id_segnalazione, passo=richiesta.passo, data=richiesta.data,
            esito=richiesta.esito, nota=richiesta.nota)
        out = service.dettaglio(session=session, id_segnalazione=id_segnalazione,
                                termini=regole.Termini.da_impostazioni(settings), oggi=oggi,
                                con_contatto=True)
    return SegnalazioneDettaglioPublic.model_validate(out)


@router.get("/{id_segnalazione}/documenti/{documento}", response_class=Response,
            responses={**risposte(404, 409), 200: {
                "description": "Il documento.",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}},
                            "text/html": {"schema": {"type": "string"}}}}},
            summary="Lettera di risposta o scheda (Allegato 2)")
def documento(
    _utente: Upt,
    session: SessionDep,
    settings: SettingsDep,
    id_segnalazione: IdSegnalazione,
    documento: Annotated[Literal["lettera", "scheda"], Path(
        description="lettera (di risposta) o scheda (Allegato 2).")],
    formato: Annotated[Literal["pdf", "html"], Query(description="pdf (accessibile) o html.")
                       ] = "pdf",
) -> Response:
    """La lettera di risposta al cittadino (dopo risolta o risposta_inviata) o la scheda
    della segnalazione (Allegato 2), stampabili. Contengono il recapito del cittadino:
    solo il ruolo `upt`."""
    testo = documenti.html(session=session, id_segnalazione=id_segnalazione,
                           documento=documento, settings=settings, oggi=date.today())
    if formato == "html":
        return Response(testo, media_type="text/html; charset=utf-8")
    return Response(documenti.pdf(testo), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{documento}_{id_segnalazione}.pdf"'})
