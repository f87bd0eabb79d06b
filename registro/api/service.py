"""The API's database functions: keyword-only, they take the session (or the engine for the
bulk readers the CLI already uses). Routes call these; no SQL lives in a handler."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from registro.api.errori import Conflitto, NonTrovato
from registro.errors import ErroreUtente, senza_nul
from registro.esecuzioni import Attivita
from registro.models import (
    Audit,
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
from registro.money import format_euro
from registro.periodo import Periodo

RUOLI = ("direzione", "cup", "upt", "lettura")


# --- transactions ---------------------------------------------------------------------------

@contextlib.contextmanager
def transazione(engine: Engine) -> Iterator[Session]:
    """One database transaction for a write and its audit row.

    The session joins an outer transaction in `rollback_only` mode: a service that calls
    `session.commit()` (like `registro.motivazioni.registra`) only flushes, and the change and
    its audit row are committed together when the block ends, or not at all."""
    with (engine.connect() as conn, conn.begin(),
          Session(bind=conn, expire_on_commit=False,
                  join_transaction_mode="rollback_only") as session):
        yield session
        session.flush()


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


# --- audit ----------------------------------------------------------------------------------

def _json(valore: dict[str, Any] | None) -> str | None:
    if valore is None:
        return None
    return json.dumps(valore, ensure_ascii=False, sort_keys=True, default=str)


def registra_audit(*, session: Session, utente: str, ruolo: str, azione: str, risorsa: str,
                   riferimento: str | None, prima: dict[str, Any] | None,
                   dopo: dict[str, Any] | None) -> Audit:
    riga = Audit(quando=datetime.now(), utente=utente, ruolo=ruolo, azione=azione[:80],
                 risorsa=risorsa, riferimento=riferimento, prima=_json(prima),
                 dopo=_json(dopo))
    session.add(riga)
    return riga


# --- conversions ----------------------------------------------------------------------------

def _con_euro(dati: dict[str, Any]) -> dict[str, Any]:
    """`*_cent` integers become euro text with two decimals (`importo_cent` → `importo`)."""
    out: dict[str, Any] = {}
    for k, v in dati.items():
        if k.endswith("_cent"):
            out[k[: -len("_cent")]] = None if v is None else format_euro(v)
        else:
            out[k] = v
    return out


def sanzione_dict(s: Sanzione) -> dict[str, Any]:
    return _con_euro(s.model_dump())


def prenotazione_dict(p: Prenotazione | PrenotazioneStoria) -> dict[str, Any]:
    return _con_euro(p.model_dump())


# --- pagination -----------------------------------------------------------------------------

def _pagina(session: Session, query: Any, ordine: Any, pagina: int, per_pagina: int
            ) -> tuple[int, list[Any]]:
    totale = session.exec(select(func.count()).select_from(query.subquery())).one()
    righe = session.exec(query.order_by(ordine).offset((pagina - 1) * per_pagina)
                         .limit(per_pagina)).all()
    return int(totale), list(righe)


def giorno_dopo(giorno: date | None) -> date | None:
    """An inclusive last day as the exclusive bound `filtra` takes."""
    return None if giorno is None else giorno + timedelta(days=1)


def _mezzanotte(giorno: date) -> datetime:
    return datetime.combine(giorno, datetime.min.time())


def filtra(q: Any, *uguali: tuple[Any, Any], tra: tuple[Any, Any, Any] | None = None) -> Any:
    """The listings' filters, one rule for all: each (column, value) an equality when the
    value is given; `tra` = (column, from, to) bounds when given (`>=` from, `<` to)."""
    for colonna, valore in uguali:
        if valore is not None:
            q = q.where(colonna == valore)
    if tra is not None:
        colonna, da, a = tra
        if da is not None:
            q = q.where(col(colonna) >= da)
        if a is not None:
            q = q.where(col(colonna) < a)
    return q


def _periodo(periodo: str | None) -> tuple[datetime | None, datetime | None]:
    if periodo is None:
        return None, None
    p = Periodo.parse(periodo)
    return _mezzanotte(p.inizio), _mezzanotte(p.fine)


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
    from registro.check import leggi_ricoveri
    from registro.ordine import fuori_ordine

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

FINALI = ("pagato", "annullato")
TRANSIZIONI: dict[str, tuple[str, ...]] = {
    "emesso": ("notificato", "contestato", "annullato"),
    "notificato": ("pagato", "contestato", "annullato"),
    "contestato": ("emesso", "annullato"),
    "pagato": (),
    "annullato": (),
}


def elenco_sanzioni(*, session: Session, pagina: int, per_pagina: int,
                    id_prenotazione: str | None = None, tipo: str | None = None,
                    stato: str | None = None, dal: date | None = None,
                    al: date | None = None) -> tuple[int, list[Sanzione]]:
    q = filtra(select(Sanzione), (Sanzione.id_prenotazione, id_prenotazione),
               (Sanzione.tipo, tipo), (Sanzione.stato, stato),
               tra=(Sanzione.data_emissione, dal, giorno_dopo(al)))
    return _pagina(session, q, col(Sanzione.id), pagina, per_pagina)


def cambia_stato(*, session: Session, id_sanzione: int, stato: str, motivo: str | None
                 ) -> tuple[dict[str, Any], Sanzione]:
    """Move a sanction to `stato` if the state machine allows it; returns (before, after).

    Raises NonTrovato, Conflitto (illegal transition, or the state changed under us) or
    ErroreUtente (annulling without a reason). The caller commits (with the audit row).

    The write is a compare-and-set on the state read (`cambia_se_stato`): `FOR UPDATE`
    serialises on PostgreSQL only, and on SQLite the read runs outside the write
    transaction, so without it simultaneous requests all passed the check against the same
    old state and each overwrote the other."""
    senza_nul(motivo, "motivo")
    s = session.get(Sanzione, id_sanzione, with_for_update=True)
    if s is None:
        raise NonTrovato(f"sanzione n. {id_sanzione} non presente nel registro")
    prima = sanzione_dict(s)
    attuale = s.stato
    if attuale in FINALI:
        raise Conflitto(f"transizione non ammessa: la sanzione n. {id_sanzione} è "
                        f"{attuale!r}, uno stato finale, e non può passare a {stato!r}")
    if stato == attuale:
        raise Conflitto(f"transizione non ammessa: la sanzione n. {id_sanzione} è già "
                        f"nello stato {attuale!r}")
    ammessi = TRANSIZIONI.get(attuale, ())
    if stato not in ammessi:
        raise Conflitto(f"transizione non ammessa: da {attuale!r} a {stato!r} (da "
                        f"{attuale!r} si passa solo a: {', '.join(ammessi)})")
    motivo = (motivo or "").strip() or None
    valori: dict[str, Any] = {"stato": stato}
    if stato == "annullato":
        if motivo is None:
            raise ErroreUtente("per annullare una sanzione il motivo è obbligatorio")
        valori.update(annullata_il=datetime.now(), motivo_annullamento=motivo)
    cambia_se_stato(session, s, attuale, valori,
                    descrizione=f"la sanzione n. {id_sanzione}")
    return prima, s


def cambia_se_stato(session: Session, riga: Any, letto: str, valori: dict[str, Any], *,
                    descrizione: str) -> None:
    """Compare-and-set: write `valori` to `riga` only if its `stato` is still `letto`, the
    state its checks were made against; else Conflitto (409), and nothing is written.

    One UPDATE … WHERE id = :id AND stato = :letto: the database decides, on both engines.
    The first writer wins; on SQLite a later one waits for the write lock and then finds
    the new state (0 rows), on PostgreSQL it waits for the row lock and re-reads the row.
    The object in the session is brought up to date with what was written."""
    modello = type(riga)
    esito = session.execute(
        update(modello).where(modello.id == riga.id, modello.stato == letto)
        .values(**valori).execution_options(synchronize_session=False))
    if esito.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflitto(f"{descrizione} è stata modificata da un'altra richiesta nel "
                        f"frattempo (non è più nello stato {letto!r}): ricaricarla e "
                        "riprovare")
    for campo, valore in valori.items():
        set_committed_value(riga, campo, valore)


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
