"""The segnalazioni's database functions: keyword-only, they take the session. Used by the
API (`/segnalazioni`) and the CLI (`registro segnalazione`) alike, so both write the same
rows and the same audit trail: every write here leaves its audit row(s) in the same
transaction (open it with `registro.db.transazione`).

A contested sanction moves through the records' own state machine
(`registro.stato_sanzioni.cambia_stato`), so a sanction has one set of rules whoever moves
it.

The citizen's contact is written to `segnalazione_contatto` and read back only by
`contatto()`; no audit row, error message or log line here carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlmodel import Session, col, func, select

from registro.audit import registra_audit
from registro.errors import Conflitto, ErroreUtente, NonTrovato, senza_nul
from registro.filtri import filtra, giorno_dopo
from registro.models import (
    Prenotazione,
    Prestazione,
    Reparto,
    Ricovero,
    Sanzione,
    Segnalazione,
    SegnalazioneContatto,
    SegnalazionePasso,
)
from registro.stato_sanzioni import cambia_se_stato, cambia_stato, sanzione_dict
from registro.tutela import regole
from registro.types import (
    CANALI_SEGNALAZIONE,
    ESITI_SEGNALAZIONE,
    PRESENTATORI,
    TIPI_SEGNALAZIONE,
)

DATA_MINIMA = date(1900, 1, 1)
MAX_TESTO = 5000
LIMITI_CONTATTO = {"nome": 200, "indirizzo": 300, "telefono": 40, "email": 200}
"""The column sizes of `segnalazione_contatto`."""
CONTESTABILI = ("emesso", "notificato")
"""Sanction states a complaint can suspend (the sanction state machine: → contestato)."""


@dataclass(frozen=True)
class Contatto:
    """How to reach the citizen (Allegato 2: "del Sig./Sig.ra, abitante a, Telefono")."""

    nome: str | None = None
    indirizzo: str | None = None
    telefono: str | None = None
    email: str | None = None

    def pulito(self) -> Contatto:
        return Contatto(**{f.name: (getattr(self, f.name) or "").strip() or None
                           for f in fields(self)})

    def vuoto(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True)
class Autore:
    """Who writes, for the step rows and the audit: the API token's name and role, or the
    operator at the CLI (role `cli`)."""

    nome: str
    ruolo: str
    azione: str
    """Method and path, or the CLI command."""


# --- checks ---------------------------------------------------------------------------------

def _testo(valore: str | None, campo: str, *, obbligatorio: bool, massimo: int = MAX_TESTO
           ) -> str | None:
    testo = (valore or "").strip()
    if not testo:
        if obbligatorio:
            raise ErroreUtente(f"il campo {campo} è vuoto")
        return None
    if len(testo) > massimo:
        raise ErroreUtente(f"il campo {campo} supera i {massimo} caratteri")
    if "\x00" in testo:
        raise ErroreUtente(f"il campo {campo} contiene un carattere nullo")
    return testo


def _giorno(d: date, campo: str, oggi: date) -> date:
    if d < DATA_MINIMA:
        raise ErroreUtente(f"{campo}: data {d.isoformat()} troppo remota")
    if d > oggi:
        raise ErroreUtente(f"{campo}: la data {d.isoformat()} è nel futuro")
    return d


def _servizio_da(session: Session, prenotazione: Prenotazione | None,
                 ricovero: Ricovero | None) -> str | None:
    """The service a linked booking or admission belongs to: the prestazione's branca (the
    unit the Conferenza report counts by), or the ward's name."""
    if prenotazione is not None:
        p = session.get(Prestazione, prenotazione.codice_prestazione)
        return (p.branca if p is not None and p.branca else prenotazione.codice_prestazione)
    if ricovero is not None:
        r = session.get(Reparto, ricovero.codice_reparto)
        return r.nome if r is not None else ricovero.codice_reparto
    return None


# --- views ----------------------------------------------------------------------------------

def registro_dict(s: Segnalazione) -> dict[str, Any]:
    """The pseudonymous record as stored: what the audit keeps."""
    return s.model_dump()


def pubblica(s: Segnalazione, *, termini: regole.Termini, oggi: date) -> dict[str, Any]:
    """The record with what the rules derive: Art. 3 flag, outcome that stands, terms."""
    dati = s.model_dump()
    return {**dati, "tardiva": regole.tardiva(dati, termini),
            "esito_finale": regole.esito_finale(dati),
            "scadenze": [{"termine": x.termine, "riferimento": x.riferimento,
                          "descrizione": x.descrizione, "giorni": x.giorni, "dal": x.dal,
                          "scade_il": x.scade_il, "fatto_il": x.fatto_il,
                          "nei_termini": x.nei_termini, "in_ritardo": x.in_ritardo(oggi)}
                         for x in regole.scadenze(dati, termini)]}


def passi(*, session: Session, id_segnalazione: int) -> list[SegnalazionePasso]:
    return list(session.exec(select(SegnalazionePasso).where(
        SegnalazionePasso.segnalazione_id == id_segnalazione)
        .order_by(col(SegnalazionePasso.id))).all())


def leggi(*, session: Session, id_segnalazione: int, per_aggiornare: bool = False
          ) -> Segnalazione:
    s = session.get(Segnalazione, id_segnalazione, with_for_update=per_aggiornare)
    if s is None:
        raise NonTrovato(f"segnalazione n. {id_segnalazione} non presente nel registro")
    return s


def contatto(*, session: Session, id_segnalazione: int) -> Contatto | None:
    """The citizen's contact: for the UPT only (the API's `upt` role, the printed letter
    and form)."""
    c = session.get(SegnalazioneContatto, id_segnalazione)
    if c is None:
        return None
    return Contatto(nome=c.nome, indirizzo=c.indirizzo, telefono=c.telefono, email=c.email)


def dettaglio(*, session: Session, id_segnalazione: int, termini: regole.Termini, oggi: date,
              con_contatto: bool) -> dict[str, Any]:
    """One segnalazione with its steps; the contact only when `con_contatto`."""
    s = leggi(session=session, id_segnalazione=id_segnalazione)
    out = pubblica(s, termini=termini, oggi=oggi)
    out["passi"] = [p.model_dump() for p in passi(session=session,
                                                  id_segnalazione=id_segnalazione)]
    c = contatto(session=session, id_segnalazione=id_segnalazione) if con_contatto else None
    out["contatto"] = None if c is None else {f.name: getattr(c, f.name) for f in fields(c)}
    return out


def elenco(*, session: Session, termini: regole.Termini, oggi: date, pagina: int = 1,
           per_pagina: int = 50, stato: str | None = None, tipo: str | None = None,
           canale: str | None = None, dal: date | None = None, al: date | None = None,
           id_prenotazione: str | None = None, id_sanzione: int | None = None,
           in_ritardo: bool | None = None) -> tuple[int, list[Segnalazione]]:
    """Segnalazioni matching the filters (received between `dal` and `al`, both included),
    by number. `in_ritardo` is decided by the rules, not by SQL: the page is cut after it
    (the register of one authority's complaints is small)."""
    q = filtra(
        select(Segnalazione), (Segnalazione.stato, stato), (Segnalazione.tipo, tipo),
        (Segnalazione.canale, canale), (Segnalazione.id_prenotazione, id_prenotazione),
        (Segnalazione.id_sanzione, id_sanzione),
        tra=(Segnalazione.ricevuta_il, dal, giorno_dopo(al)))
    q = q.order_by(col(Segnalazione.id))
    if in_ritardo is None:
        totale = session.exec(select(func.count()).select_from(q.subquery())).one()
        righe = session.exec(q.offset((pagina - 1) * per_pagina).limit(per_pagina)).all()
        return int(totale), list(righe)
    tutte = [s for s in session.exec(q).all()
             if bool(regole.in_ritardo(s.model_dump(), termini, oggi)) == in_ritardo]
    inizio = (pagina - 1) * per_pagina
    return len(tutte), tutte[inizio:inizio + per_pagina]


# --- writes ---------------------------------------------------------------------------------

def _muovi_sanzione(session: Session, s: Segnalazione, stato: str, motivo: str,
                    autore: Autore) -> str:
    """Move the linked sanction through the sanction state machine, with its audit row."""
    assert s.id_sanzione is not None
    prima, sanzione = cambia_stato(session=session, id_sanzione=s.id_sanzione,
                                               stato=stato, motivo=motivo)
    registra_audit(
        session=session, utente=autore.nome, ruolo=autore.ruolo, azione=autore.azione,
        risorsa="sanzione", riferimento=str(s.id_sanzione), prima=prima,
        dopo={**sanzione_dict(sanzione), "motivo_cambio": motivo,
              "segnalazione": s.id})
    return sanzione.stato


def _contesta_se_possibile(session: Session, s: Segnalazione, autore: Autore) -> str | None:
    """Suspend the linked sanction while the complaint is examined, when its state allows it
    (emesso, notificato). A paid, annulled or already contested sanction is left as it is:
    the complaint is recorded all the same, it just does not hold the sanction."""
    sanzione = session.get(Sanzione, s.id_sanzione, with_for_update=True)
    if sanzione is None or sanzione.stato not in CONTESTABILI:
        s.contesta_sanzione = False
        return None
    s.contesta_sanzione = True
    return _muovi_sanzione(session, s, "contestato",
                           f"contestata con la segnalazione n. {s.id}", autore)


def crea(*, session: Session, autore: Autore, oggi: date, canale: str, tipo: str,
         oggetto: str, ricevuta_il: date, ricevuta_da: str, data_conoscenza: date | None = None,
         servizio: str | None = None, id_prenotazione: str | None = None,
         id_ricovero: str | None = None, id_sanzione: int | None = None,
         nota: str | None = None, contatto: Contatto | None = None,
         presentata_da: str = "utente", urgente: bool = False) -> Segnalazione:
    """Record a report as received (Art. 2). Never refused for being late (Art. 3: flagged).

    A report linked to a sanction is the citizen contesting it: it must be a `reclamo`, and
    it puts the sanction in `contestato` when the sanction's state allows. `presentata_da`
    who filed it (Art. 1, seed 000); `urgente` shortens the transmission term (Art. 4)."""
    if presentata_da not in PRESENTATORI:
        raise ErroreUtente(f"presentata_da sconosciuto: {presentata_da!r} "
                           f"(ammessi: {', '.join(PRESENTATORI)})")
    if canale not in CANALI_SEGNALAZIONE:
        raise ErroreUtente(f"canale sconosciuto: {canale!r} "
                           f"(ammessi: {', '.join(CANALI_SEGNALAZIONE)})")
    if tipo not in TIPI_SEGNALAZIONE:
        raise ErroreUtente(f"tipo sconosciuto: {tipo!r} (ammessi: {', '.join(TIPI_SEGNALAZIONE)})")
    oggetto_ = _testo(oggetto, "oggetto", obbligatorio=True)
    ricevuta_da_ = _testo(ricevuta_da, "ricevuta_da", obbligatorio=True, massimo=80)
    servizio_ = _testo(servizio, "servizio", obbligatorio=False, massimo=80)
    nota_ = _testo(nota, "nota", obbligatorio=False)
    _giorno(ricevuta_il, "ricevuta_il", oggi)
    if data_conoscenza is not None:
        _giorno(data_conoscenza, "data_conoscenza", oggi)
        if data_conoscenza > ricevuta_il:
            raise ErroreUtente("data_conoscenza: il cittadino non può aver saputo del fatto "
                               "dopo aver presentato la segnalazione")

    c = (contatto or Contatto()).pulito()
    for f in fields(c):
        valore = getattr(c, f.name)
        if valore is not None and ("\x00" in valore or len(valore) > LIMITI_CONTATTO[f.name]):
            # The value itself is never echoed: it is the citizen's.
            raise ErroreUtente(f"contatto: il campo {f.name} non è valido")

    sanzione = None
    if id_sanzione is not None:
        sanzione = session.get(Sanzione, id_sanzione)
        if sanzione is None:
            raise ErroreUtente(f"sanzione n. {id_sanzione} non presente nel registro")
        if tipo != "reclamo":
            raise ErroreUtente("una segnalazione collegata a una sanzione è la sua "
                               "contestazione: il tipo è reclamo")
        if id_prenotazione is not None and id_prenotazione != sanzione.id_prenotazione:
            raise ErroreUtente(f"la sanzione n. {id_sanzione} riguarda la prenotazione "
                               f"{sanzione.id_prenotazione!r}, non {id_prenotazione!r}")
        id_prenotazione = sanzione.id_prenotazione
    prenotazione = ricovero = None
    senza_nul(id_prenotazione, "id_prenotazione")
    senza_nul(id_ricovero, "id_ricovero")
    if id_prenotazione is not None:
        prenotazione = session.get(Prenotazione, id_prenotazione)
        if prenotazione is None:
            raise ErroreUtente(f"prenotazione {id_prenotazione!r} non presente nel registro")
    if id_ricovero is not None:
        ricovero = session.get(Ricovero, id_ricovero)
        if ricovero is None:
            raise ErroreUtente(f"ricovero {id_ricovero!r} non presente nel registro")

    adesso = datetime.now()
    s = Segnalazione(canale=canale, tipo=tipo, oggetto=oggetto_ or "",
                     servizio=servizio_ or _servizio_da(session, prenotazione, ricovero),
                     ricevuta_il=ricevuta_il, ricevuta_da=ricevuta_da_ or "",
                     data_conoscenza=data_conoscenza, id_prenotazione=id_prenotazione,
                     id_ricovero=id_ricovero, id_sanzione=id_sanzione,
                     presentata_da=presentata_da, urgente=urgente,
                     registrata_il=adesso, aggiornata_il=adesso)
    session.add(s)
    session.flush()
    assert s.id is not None
    if not c.vuoto():
        session.add(SegnalazioneContatto(segnalazione_id=s.id, nome=c.nome,
                                         indirizzo=c.indirizzo, telefono=c.telefono,
                                         email=c.email))
    sanzione_stato = _contesta_se_possibile(session, s, autore) if sanzione else None
    session.add(SegnalazionePasso(segnalazione_id=s.id, passo="ricevuta", data=ricevuta_il,
                                  nota=nota_, autore=autore.nome[:80], registrato_il=adesso,
                                  sanzione_stato=sanzione_stato))
    session.add(s)
    session.flush()
    registra_audit(
        session=session, utente=autore.nome, ruolo=autore.ruolo, azione=autore.azione,
        risorsa="segnalazione", riferimento=str(s.id), prima=None,
        dopo={**registro_dict(s), "nota": nota_,
              "contatto": "assente" if c.vuoto() else "registrato a parte"})
    return s


def registra_passo(*, session: Session, autore: Autore, oggi: date, id_segnalazione: int,
                   passo: str, data: date | None = None, esito: str | None = None,
                   nota: str | None = None
                   ) -> tuple[dict[str, Any], Segnalazione, SegnalazionePasso]:
    """Record the next step of the procedure; returns (before, after, the step's row).

    Conflitto for a step that does not follow the current state (regole.SUCCESSIVI);
    ErroreUtente for a date before the previous step or in the future, a missing or
    superfluous outcome, or a partial outcome on a contested sanction (which can only be
    annulled or confirmed). The outcome of a report holding a sanction moves it: `accolta`
    annuls it, `respinta` confirms it (back to `emesso`); a riesame or the Commissione Mista
    Conciliativa suspends it again."""
    s = leggi(session=session, id_segnalazione=id_segnalazione, per_aggiornare=True)
    prima = registro_dict(s)
    ammessi = regole.SUCCESSIVI.get(s.stato, ())
    if passo not in ammessi:
        seguito = (f"da {s.stato!r} si passa solo a: {', '.join(ammessi)}" if ammessi
                   else f"{s.stato!r} è uno stato finale")
        raise Conflitto(f"passo non ammesso per la segnalazione n. {id_segnalazione}: "
                        f"{passo!r} ({seguito})")
    giorno = _giorno(data or oggi, "data", oggi)
    precedente = getattr(s, regole.COLONNA_DATA[s.stato])
    if precedente is not None and giorno < precedente:
        raise ErroreUtente(f"data: il passo {passo!r} non può precedere il passo precedente "
                           f"({s.stato}, {precedente.isoformat()})")
    if passo in regole.CON_ESITO:
        if esito is None:
            raise ErroreUtente(f"il passo {passo!r} richiede l'esito "
                               f"({', '.join(ESITI_SEGNALAZIONE)})")
        if esito not in ESITI_SEGNALAZIONE:
            raise ErroreUtente(f"esito sconosciuto: {esito!r} "
                               f"(ammessi: {', '.join(ESITI_SEGNALAZIONE)})")
        if s.contesta_sanzione and esito == "parzialmente_accolta":
            raise ErroreUtente(f"la segnalazione n. {id_segnalazione} contesta la sanzione "
                               f"n. {s.id_sanzione}: l'esito è accolta (sanzione annullata) "
                               "o respinta (sanzione confermata)")
    elif esito is not None:
        raise ErroreUtente(f"il passo {passo!r} non ha esito")
    nota_ = _testo(nota, "nota", obbligatorio=False)

    # Compare-and-set on the state the checks above were made against: of simultaneous
    # steps on one report only the first is written, the others are a 409 (on SQLite the
    # read above is not locked, so without it all of them were accepted).
    valori: dict[str, Any] = {"stato": passo, "aggiornata_il": datetime.now(),
                              regole.COLONNA_DATA[passo]: giorno}
    if passo in regole.CON_ESITO:
        valori[regole.CON_ESITO[passo]] = esito
    cambia_se_stato(session, s, prima["stato"], valori,
                                descrizione=f"la segnalazione n. {id_segnalazione}")

    sanzione_stato = None
    if passo in regole.CON_ESITO and s.contesta_sanzione:
        if esito == "accolta":
            sanzione_stato = _muovi_sanzione(
                session, s, "annullato",
                f"contestazione accolta (segnalazione n. {s.id}, {passo})", autore)
        else:
            sanzione_stato = _muovi_sanzione(
                session, s, "emesso",
                f"contestazione respinta (segnalazione n. {s.id}, {passo}): sanzione "
                "confermata", autore)
        s.contesta_sanzione = False
    elif passo in regole.RIESAMI and s.id_sanzione is not None:
        sanzione_stato = _contesta_se_possibile(session, s, autore)

    session.add(s)
    riga = SegnalazionePasso(segnalazione_id=id_segnalazione, passo=passo, data=giorno,
                             esito=esito, nota=nota_, autore=autore.nome[:80],
                             registrato_il=s.aggiornata_il, sanzione_stato=sanzione_stato)
    session.add(riga)
    session.flush()
    registra_audit(
        session=session, utente=autore.nome, ruolo=autore.ruolo, azione=autore.azione,
        risorsa="segnalazione", riferimento=str(id_segnalazione), prima=prima,
        dopo={**registro_dict(s), "passo": passo, "nota": nota_})
    return prima, s, riga


# --- listing --------------------------------------------------------------------------------

COLONNE_ELENCO = ["id", "ricevuta_il", "canale", "tipo", "servizio", "oggetto", "stato",
                  "esito_finale", "tardiva", "id_prenotazione", "id_ricovero", "id_sanzione",
                  "risolta_il", "trasmessa_il", "servizi_informati_il",
                  "informazioni_ricevute_il", "risposta_il", "riesame_il",
                  "riesame_concluso_il", "in_ritardo", "presentata_da", "urgente",
                  "commissione_il", "commissione_conclusa_il"]


def tabella_elenco(righe: list[Segnalazione], *, termini: regole.Termini, oggi: date
                   ) -> pl.DataFrame:
    """The register as a table (`registro segnalazione elenco`): no contact; `in_ritardo`
    names the overdue terms on `oggi`, comma-separated."""
    dati = []
    for s in righe:
        d = s.model_dump()
        dati.append({**{k: d.get(k) for k in COLONNE_ELENCO},
                     "tardiva": regole.tardiva(d, termini),
                     "esito_finale": regole.esito_finale(d),
                     "in_ritardo": ",".join(x.termine for x in
                                            regole.in_ritardo(d, termini, oggi))})
    speciali: dict[str, pl.DataType] = {"id": pl.Int64(), "id_sanzione": pl.Int64(),
                                         "tardiva": pl.Boolean(), "urgente": pl.Boolean()}
    schema: dict[str, pl.DataType] = {
        c: speciali.get(c, pl.Date() if c.endswith("_il") else pl.String())
        for c in COLONNE_ELENCO}
    return pl.DataFrame(dati, schema=schema, orient="row")
