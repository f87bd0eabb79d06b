"""The console's reads and writes for `/console/ingest`: the history of ingests, one run and
its rejects (a page, or all as CSV), the catalog, sites and wards (a page, one row edited,
a CSV imported), every write audited with the person's name. The upload itself runs the
API's path (servizio.caricamento); the routes call these, no SQL in a route."""

from __future__ import annotations

import io
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from cup import catalogo
from registro.audit import registra_audit
from registro.csvsafe import neutralizza
from registro.db import transazione
from registro.errors import ErroreUtente, NonTrovato
from registro.models import CaricamentoConsole, IngestRun, Scarto
from registro.settings import Settings
from servizio.console.service import Persona

PER_PAGINA = 50
STORICO_PER_PAGINA = 20
AZIONE_CARICAMENTO = "console ingest"
COLONNE_SCARTI = ("riga", "campo", "valore", "motivo")


@dataclass(frozen=True)
class Caricamento:
    """One ingest as the pages show it: the file by its name only (the server's paths are
    not the operator's business), who, when, counts, outcome."""

    id: int
    registro: str
    file: str
    sha256: str
    utente: str | None
    iniziato_il: Any
    finito_il: Any
    stato: str
    errore: str | None
    righe: int
    accettate: int
    scartate: int
    nuove: int
    aggiornate: int
    invariate: int
    obsolete: int
    duplicate: int
    sedi_nuove: int

    @classmethod
    def da_run(cls, run: IngestRun) -> Caricamento:
        assert run.id is not None
        return cls(id=run.id, registro=run.registro, file=Path(run.file).name,
                   sha256=run.sha256, utente=run.utente, iniziato_il=run.iniziato_il,
                   finito_il=run.finito_il, stato=run.stato, errore=run.errore,
                   righe=run.righe, accettate=run.accettate, scartate=run.scartate,
                   nuove=run.nuove, aggiornate=run.aggiornate, invariate=run.invariate,
                   obsolete=run.obsolete, duplicate=run.duplicate, sedi_nuove=run.sedi_nuove)


def storico(*, session: Session, prima_di: int | None = None,
            per_pagina: int = STORICO_PER_PAGINA) -> tuple[list[Caricamento], int | None]:
    """The latest runs first, a page after the cursor `prima_di` (a run id), and the next
    page's cursor (None on the last)."""
    q = select(IngestRun).order_by(col(IngestRun.id).desc()).limit(per_pagina + 1)
    if prima_di is not None:
        q = q.where(col(IngestRun.id) < prima_di)
    righe = [Caricamento.da_run(r) for r in session.exec(q).all()]
    prossimo = righe[per_pagina - 1].id if len(righe) > per_pagina else None
    return righe[:per_pagina], prossimo


def caricamento(*, session: Session, run_id: int) -> Caricamento:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise NonTrovato(f"nessun caricamento con numero {run_id}")
    return Caricamento.da_run(run)


def scarti(*, session: Session, run_id: int, dopo: int | None = None,
           per_pagina: int = PER_PAGINA) -> tuple[list[dict[str, Any]], int | None]:
    """One page of a run's rejects (line, field, value, reason) in file order, keyset on the
    row id. The values were pseudonymised before validation (cup.pseudonimi): no codice
    fiscale is in them. The raw line (`grezzo`) is not shown."""
    q = (select(Scarto).where(Scarto.ingest_run_id == run_id).order_by(col(Scarto.id))
         .limit(per_pagina + 1))
    if dopo is not None:
        q = q.where(col(Scarto.id) > dopo)
    righe = [{"id": r.id, **{c: getattr(r, c) for c in COLONNE_SCARTI}}
             for r in session.exec(q).all()]
    prossimo = righe[per_pagina - 1]["id"] if len(righe) > per_pagina else None
    return righe[:per_pagina], prossimo


def scarti_csv(*, engine: Engine, run_id: int, righe_per_pezzo: int = 10_000
               ) -> Iterator[bytes]:
    """A run's rejects as CSV (riga, campo, valore, motivo; formulas neutralised, UTF-8),
    slice by slice: the response starts at once and never holds them all."""
    dopo = 0
    intestazione = True
    schema = {"riga": pl.Int64, "campo": pl.String, "valore": pl.String, "motivo": pl.String}
    while True:
        with Session(engine) as session:
            righe = session.exec(
                select(Scarto).where(Scarto.ingest_run_id == run_id, col(Scarto.id) > dopo)
                .order_by(col(Scarto.id)).limit(righe_per_pezzo)).all()
        if not righe and not intestazione:
            return
        tabella = pl.DataFrame([tuple(getattr(r, c) for c in COLONNE_SCARTI) for r in righe],
                               schema=schema, orient="row")
        buf = io.BytesIO()
        neutralizza(tabella).write_csv(buf, include_header=intestazione)
        yield buf.getvalue()
        if len(righe) < righe_per_pezzo:
            return
        intestazione = False
        dopo = righe[-1].id or 0


# --- uploads ingested in the background -------------------------------------------------------

IN_CORSO, COMPLETATO, FALLITO, INTERROTTO = "in_corso", "completato", "fallito", "interrotto"


def _questo_processo() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _processo_morto(processo: str) -> bool:
    """Is the server process `host pid` gone? Another host's is taken as alive."""
    host, _, pid = processo.rpartition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def nuovo_lavoro(*, engine: Engine, file: str, registro: str, persona: Persona) -> str:
    """Record an upload about to be ingested in the background; its id (random: the page's
    address) for `/console/ingest/lavori/{id}`."""
    ident = secrets.token_hex(16)
    with transazione(engine) as session:
        session.add(CaricamentoConsole(id=ident, registro=registro, file=file,
                                       utente=persona.nome, processo=_questo_processo(),
                                       iniziato_il=datetime.now()))
    return ident


def concludi_lavoro(*, engine: Engine, ident: str, ingest_run_id: int | None = None,
                    errore: str | None = None) -> None:
    with transazione(engine) as session:
        lavoro = session.get(CaricamentoConsole, ident)
        if lavoro is None:
            return
        lavoro.finito_il = datetime.now()
        lavoro.stato = FALLITO if errore is not None else COMPLETATO
        lavoro.ingest_run_id = ingest_run_id
        lavoro.errore = errore[:2000] if errore is not None else None
        session.add(lavoro)


@dataclass(frozen=True)
class Lavoro:
    id: str
    registro: str
    file: str
    utente: str
    iniziato_il: datetime
    finito_il: datetime | None
    stato: str
    """in_corso, completato, fallito, or interrotto (its server stopped meanwhile)."""
    ingest_run_id: int | None
    errore: str | None


def lavoro(*, session: Session, ident: str) -> Lavoro:
    riga = session.get(CaricamentoConsole, ident)
    if riga is None:
        raise NonTrovato("nessun caricamento in corso con questo indirizzo")
    stato = riga.stato
    errore = riga.errore
    if stato == IN_CORSO and _processo_morto(riga.processo):
        stato = INTERROTTO
        errore = ("il servizio si è fermato durante il caricamento: nulla è stato scritto, "
                  "il file si può caricare di nuovo")
    return Lavoro(id=riga.id, registro=riga.registro, file=riga.file, utente=riga.utente,
                  iniziato_il=riga.iniziato_il, finito_il=riga.finito_il, stato=stato,
                  ingest_run_id=riga.ingest_run_id, errore=errore)


# --- catalog, sites, wards -------------------------------------------------------------------

def voci_anagrafica(*, session: Session, tabella: str, cerca: str = "",
                    dopo: str | None = None, per_pagina: int = PER_PAGINA
                    ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the catalog, the sites or the wards by code, optionally filtered by a text
    in the code or the name; and the next page's cursor (a code)."""
    if tabella not in catalogo.ANAGRAFICHE:
        raise ErroreUtente(f"tabella sconosciuta: {tabella!r}")
    modello: Any = catalogo.ANAGRAFICHE[tabella]
    nome = modello.descrizione if tabella == "prestazioni" else modello.nome
    q = select(modello).order_by(col(modello.codice)).limit(per_pagina + 1)
    if cerca.strip():
        testo = f"%{cerca.strip().lower()}%"
        q = q.where(or_(col(modello.codice).ilike(testo), col(nome).ilike(testo)))
    if dopo:
        q = q.where(col(modello.codice) > dopo)
    righe = [r.model_dump() for r in session.exec(q).all()]
    prossimo = righe[per_pagina - 1]["codice"] if len(righe) > per_pagina else None
    return righe[:per_pagina], prossimo


def modifica_voce(*, session: Session, tabella: str, codice: str, valori: dict[str, str],
                  persona: Persona, settings: Settings) -> None:
    """One row changed by hand, audited with the person's name and the row before and
    after, in one transaction. Commits."""
    prima, dopo = catalogo.modifica_voce(session=session, tabella=tabella, codice=codice,
                                         valori=valori,
                                         importo_massimo=settings.importo_massimo)
    registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                   azione=f"console modifica {tabella}", risorsa=tabella,
                   riferimento=codice[:64], prima=prima, dopo=dopo)
    session.commit()


def importa_anagrafica(*, engine: Engine, path: Path, nome: str, tabella: str,
                       persona: Persona, settings: Settings) -> catalogo.EsitoImport:
    """A CSV of services, sites or wards through the CLI's import (all or nothing),
    audited with the person's name. Errors name the uploaded file, not the server's copy."""
    try:
        if tabella == "prestazioni":
            esito = catalogo.importa_catalogo(path, engine=engine,
                                              importo_massimo=settings.importo_massimo)
        elif tabella == "sedi":
            esito = catalogo.importa_sedi(path, engine=engine)
        elif tabella == "reparti":
            esito = catalogo.importa_reparti(path, engine=engine)
        else:
            raise ErroreUtente(f"tabella sconosciuta: {tabella!r} "
                               f"(ammesse: {', '.join(catalogo.ANAGRAFICHE)})")
    except ErroreUtente as exc:
        raise ErroreUtente(str(exc).replace(str(path), nome)) from exc
    with transazione(engine) as session:
        registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                       azione=f"console import {tabella}", risorsa=tabella,
                       riferimento=nome[:64], prima=None,
                       dopo={"file": nome, "aggiunte": esito.aggiunte,
                             "aggiornate": esito.aggiornate, "invariate": esito.invariate})
    return esito
