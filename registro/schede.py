"""The file of one booking or one admission, as a person reads it: the current record, every
version received, its sanctions, the admissions it overtook and its motivazioni.

The API (`GET /prenotazioni/{id}`, `GET /ricoveri/{id}`) and the console's pages show the
same file: it is read here once, below both services, so neither imports the other."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from registro.errors import NonTrovato
from registro.letture import leggi_ricoveri
from registro.models import (
    Motivazione,
    Prenotazione,
    PrenotazioneStoria,
    Ricovero,
    RicoveroStoria,
    Sanzione,
)
from registro.ordine import fuori_ordine
from registro.stato_sanzioni import con_euro, sanzione_dict

S = TypeVar("S", PrenotazioneStoria, RicoveroStoria)


def versioni(storia: Sequence[S], corrente: SQLModel, classe: type[S]) -> list[S]:
    """Every version received, oldest first: the history keeps only the versions that were
    superseded, the current one is the register's row. It is listed last among versions of
    the same `versione_il` (it won them), and once: a current version whose content the
    history already holds (re-sent with no `aggiornato_il`) is that version again."""
    campi = set(classe.model_fields) - {"id"}
    attuale = classe(**corrente.model_dump(include=campi))
    contenuto = campi - {"versione_il", "ingest_run_id"}
    if any(v.model_dump(include=contenuto) == attuale.model_dump(include=contenuto)
           for v in storia):
        return list(storia)
    tutte = list(storia)
    tutte.append(attuale)
    return sorted(tutte, key=lambda v: (v.versione_il, v is attuale, v.id or 0))


def prenotazione_dict(p: Prenotazione | PrenotazioneStoria) -> dict[str, Any]:
    return con_euro(p.model_dump())


def motivazioni_di(*, session: Session, registro: str, riferimento: str) -> list[Motivazione]:
    """Every motivazione recorded for one entry, oldest first (the chain of supersessions)."""
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
            "storia": [prenotazione_dict(v)
                       for v in versioni(storia, p, PrenotazioneStoria)],
            "sanzioni": [sanzione_dict(s) for s in sanzioni],
            "motivazioni": [m.model_dump() for m in motivazioni_di(
                session=session, registro="prestazioni", riferimento=id_prenotazione)]}


def coppie_fuori_ordine(*, engine: Engine, id_ricovero: str | None = None
                        ) -> list[dict[str, Any]]:
    """Every (admission out of order, entry it overtook) pair: `registro.ordine.fuori_ordine`
    over the list as the CLI reads it; with `id_ricovero`, only that admission's pairs (the
    filter runs in the frame: a detail page turns a handful of pairs into dicts, not all)."""
    coppie = fuori_ordine(leggi_ricoveri(engine).lazy())
    if id_ricovero is not None:
        coppie = coppie.filter(pl.col("id_ricovero") == id_ricovero)
    return coppie.to_dicts()


def dettaglio_ricovero(*, session: Session, engine: Engine, id_ricovero: str) -> dict[str, Any]:
    r = session.get(Ricovero, id_ricovero)
    if r is None:
        raise NonTrovato(f"ricovero {id_ricovero!r} non presente nel registro")
    storia = session.exec(select(RicoveroStoria).where(RicoveroStoria.id_ricovero == id_ricovero)
                          .order_by(col(RicoveroStoria.versione_il),
                                    col(RicoveroStoria.id))).all()
    scavalcati = (coppie_fuori_ordine(engine=engine, id_ricovero=id_ricovero)
                  if r.stato == "ricoverato" else [])
    return {**r.model_dump(),
            "storia": [v.model_dump() for v in versioni(storia, r, RicoveroStoria)],
            "scavalcati": scavalcati,
            "motivazioni": [m.model_dump() for m in motivazioni_di(
                session=session, registro="ricoveri", riferimento=id_ricovero)]}
