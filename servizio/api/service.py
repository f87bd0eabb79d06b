"""The API's database functions: keyword-only, they take the session (or the engine for the
bulk readers the CLI already uses). Routes call these; no SQL lives in a handler."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from registro.errors import ErroreUtente, NonTrovato
from registro.esecuzioni import Attivita
from registro.filtri import filtra, giorno_dopo, mezzanotte
from registro.letture import leggi_ricoveri
from registro.models import (
    Esecuzione,
    IngestRun,
    Motivazione,
    Prenotazione,
    PrenotazioneStoria,
    Ricovero,
    RicoveroStoria,
    Sanzione,
    UtenteApi,
)
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.stato_sanzioni import con_euro, sanzione_dict

RUOLI = ("direzione", "cup", "upt", "lettura")


# --- tokens ---------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def crea_token(*, session: Session, nome: str, ruolo: str) -> str:
    """Create a token for `nome` with `ruolo`; returns the token in clear, the only time it
    exists in clear (only its SHA-256 is stored). The caller commits."""
    nome = nome.strip()
    if not nome:
        raise ErroreUtente("il nome del token è vuoto")
    if ruolo not in RUOLI:
        raise ErroreUtente(f"ruolo sconosciuto: {ruolo!r} (ammessi: {', '.join(RUOLI)})")
    attivo = session.exec(select(UtenteApi).where(
        UtenteApi.nome == nome, col(UtenteApi.revocato_il).is_(None))).first()
    if attivo is not None:
        raise ErroreUtente(f"esiste già un token attivo per {nome!r}: revocarlo prima")
    token = secrets.token_urlsafe(32)
    session.add(UtenteApi(nome=nome, ruolo=ruolo, token_hash=hash_token(token),
                          creato_il=datetime.now()))
    session.flush()
    return token


def revoca_token(*, session: Session, nome: str) -> int:
    """Revoke the live tokens of `nome`; returns how many. The caller commits."""
    attivi = session.exec(select(UtenteApi).where(
        UtenteApi.nome == nome.strip(), col(UtenteApi.revocato_il).is_(None))).all()
    if not attivi:
        raise ErroreUtente(f"nessun token attivo per {nome!r}")
    adesso = datetime.now()
    for u in attivi:
        u.revocato_il = adesso
        session.add(u)
    session.flush()
    return len(attivi)


def utente_da_token(*, session: Session, token: str) -> UtenteApi | None:
    """The live user of a token, or None (unknown or revoked)."""
    utente = session.exec(select(UtenteApi).where(
        UtenteApi.token_hash == hash_token(token))).first()
    if utente is None or utente.revocato_il is not None:
        return None
    return utente


# --- conversions ----------------------------------------------------------------------------

def prenotazione_dict(p: Prenotazione | PrenotazioneStoria) -> dict[str, Any]:
    return con_euro(p.model_dump())


# --- pagination -----------------------------------------------------------------------------

def _pagina(session: Session, query: Any, ordine: Any, pagina: int, per_pagina: int
            ) -> tuple[int, list[Any]]:
    totale = session.exec(select(func.count()).select_from(query.subquery())).one()
    righe = session.exec(query.order_by(ordine).offset((pagina - 1) * per_pagina)
                         .limit(per_pagina)).all()
    return int(totale), list(righe)


def _periodo(periodo: str | None) -> tuple[datetime | None, datetime | None]:
    if periodo is None:
        return None, None
    p = Periodo.parse(periodo)
    return mezzanotte(p.inizio), mezzanotte(p.fine)


# --- prenotazioni ---------------------------------------------------------------------------

def elenco_prenotazioni(*, session: Session, pagina: int, per_pagina: int,
                        prestazione: str | None = None, sede: str | None = None,
                        classe: str | None = None, stato: str | None = None,
                        periodo: str | None = None, superamento: bool | None = None,
                        in_garanzia: bool | None = None) -> tuple[int, list[Prenotazione]]:
    """Bookings matching the filters; `periodo` selects by date of booking (ex ante)."""
    q = filtra(select(Prenotazione),
               (Prenotazione.codice_prestazione, prestazione), (Prenotazione.codice_sede, sede),
               (Prenotazione.classe_priorita, classe), (Prenotazione.stato, stato),
               (Prenotazione.superamento, superamento),
               (Prenotazione.in_garanzia, in_garanzia),
               tra=(Prenotazione.data_prenotazione, *_periodo(periodo)))
    return _pagina(session, q, col(Prenotazione.id_prenotazione), pagina, per_pagina)


def _motivazioni(session: Session, registro: str, riferimento: str) -> list[Motivazione]:
    return list(session.exec(select(Motivazione).where(
        Motivazione.registro == registro, Motivazione.riferimento == riferimento)
        .order_by(col(Motivazione.id))).all())


def dettaglio_prenotazione(*, session: Session, id_prenotazione: str) -> dict[str, Any]:
    p = session.get(Prenotazione, id_prenotazione)
    if p is None:
        raise NonTrovato(f"prenotazione {id_prenotazione!r} non presente nel registro")
    storia = session.exec(select(PrenotazioneStoria).where(
        PrenotazioneStoria.id_prenotazione == id_prenotazione)
        .order_by(col(PrenotazioneStoria.versione_il), col(PrenotazioneStoria.id))).all()
    sanzioni = session.exec(select(Sanzione).where(Sanzione.id_prenotazione == id_prenotazione)
                            .order_by(col(Sanzione.id))).all()
    return {**prenotazione_dict(p),
            "storia": [prenotazione_dict(v) for v in storia],
            "sanzioni": [sanzione_dict(s) for s in sanzioni],
            "motivazioni": [m.model_dump() for m in _motivazioni(session, "prestazioni",
                                                                 id_prenotazione)]}


# --- ricoveri -------------------------------------------------------------------------------

def elenco_ricoveri(*, session: Session, pagina: int, per_pagina: int,
                    reparto: str | None = None, patologia: str | None = None,
                    classe: str | None = None, stato: str | None = None,
                    periodo: str | None = None, superamento: bool | None = None,
                    fuori_ordine: bool | None = None) -> tuple[int, list[Ricovero]]:
    """List entries matching the filters; `periodo` selects by date of insertion."""
    q = filtra(select(Ricovero),
               (Ricovero.codice_reparto, reparto), (Ricovero.codice_patologia, patologia),
               (Ricovero.classe_priorita, classe), (Ricovero.stato, stato),
               (Ricovero.superamento, superamento),
               tra=(Ricovero.data_inserimento, *_periodo(periodo)))
    if fuori_ordine is not None:
        q = q.where(col(Ricovero.fuori_ordine) > 0 if fuori_ordine
                    else func.coalesce(col(Ricovero.fuori_ordine), 0) == 0)
    return _pagina(session, q, col(Ricovero.id_ricovero), pagina, per_pagina)


def coppie_fuori_ordine(*, engine: Engine) -> list[dict[str, Any]]:
    """Every (admission out of order, entry it overtook) pair: `registro.ordine.fuori_ordine`
    over the list as the CLI reads it."""
    return fuori_ordine(leggi_ricoveri(engine).lazy()).to_dicts()


def dettaglio_ricovero(*, session: Session, engine: Engine, id_ricovero: str) -> dict[str, Any]:
    r = session.get(Ricovero, id_ricovero)
    if r is None:
        raise NonTrovato(f"ricovero {id_ricovero!r} non presente nel registro")
    storia = session.exec(select(RicoveroStoria).where(RicoveroStoria.id_ricovero == id_ricovero)
                          .order_by(col(RicoveroStoria.versione_il),
                                    col(RicoveroStoria.id))).all()
    scavalcati = ([c for c in coppie_fuori_ordine(engine=engine) if c["id_ricovero"] == id_ricovero]
                  if r.stato == "ricoverato" else [])
    return {**r.model_dump(), "storia": [v.model_dump() for v in storia],
            "scavalcati": scavalcati,
            "motivazioni": [m.model_dump() for m in _motivazioni(session, "ricoveri",
                                                                 id_ricovero)]}


# --- sanzioni -------------------------------------------------------------------------------

def elenco_sanzioni(*, session: Session, pagina: int, per_pagina: int,
                    id_prenotazione: str | None = None, tipo: str | None = None,
                    stato: str | None = None, dal: date | None = None,
                    al: date | None = None) -> tuple[int, list[Sanzione]]:
    q = filtra(select(Sanzione), (Sanzione.id_prenotazione, id_prenotazione),
               (Sanzione.tipo, tipo), (Sanzione.stato, stato),
               tra=(Sanzione.data_emissione, dal, giorno_dopo(al)))
    return _pagina(session, q, col(Sanzione.id), pagina, per_pagina)


# --- health ---------------------------------------------------------------------------------

def salute(*, engine: Engine) -> dict[str, Any]:
    """Database reachable? Last completed ingest, check and site build (None when never)."""
    def ultima(session: Session, attivita: Attivita) -> Any:
        return session.exec(select(func.max(Esecuzione.finita_il)).where(
            Esecuzione.attivita == attivita.value, Esecuzione.stato == "completata")).one()

    try:
        with Session(engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            ingest = session.exec(select(func.max(IngestRun.finito_il)).where(
                IngestRun.stato == "completato")).one()
            check = ultima(session, Attivita.CHECK)
            sito = ultima(session, Attivita.SITO)
    except Exception:
        return {"database": "non raggiungibile", "ultimo_ingest": None,
                "ultimo_check": None, "ultima_costruzione_sito": None}
    return {"database": "raggiungibile", "ultimo_ingest": ingest, "ultimo_check": check,
            "ultima_costruzione_sito": sito}


def ultimo_ingest(*, engine: Engine) -> tuple[Any, ...]:
    """(id, end) of the latest ingest run: changes whenever the register's content does."""
    with Session(engine) as session:
        riga = session.exec(select(func.max(IngestRun.id), func.max(IngestRun.finito_il))).one()
    return tuple(riga)
