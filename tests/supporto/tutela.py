"""Builders for the Pubblica tutela tests: a plainly fake citizen, and short calls to the
service inside one transaction each (as the API and the CLI make them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from registro.db import session_scope, transazione
from registro.models import Audit, Sanzione, Segnalazione, SegnalazionePasso
from registro.tutela import service
from registro.tutela.service import Autore, Contatto

CONTATTO = Contatto(nome="Ersilia Fittizia-Prova", indirizzo="Via dei Collaudi 99, Nessunluogo",
                    telefono="+39 000 111 2222", email="cittadino-0001@example.invalid")
FRAMMENTI_CONTATTO = ("Fittizia-Prova", "Via dei Collaudi", "000 111 2222",
                      "cittadino-0001@example.invalid", "cittadino-0001")
"""What must never appear outside the UPT's own paths (and `segnalazione_contatto`)."""

UPT = Autore(nome="operatore-upt", ruolo="upt", azione="prova")
OGGI = date(2026, 11, 20)


def nuova(engine: Engine, *, oggi: date = OGGI, contatto: Contatto | None = CONTATTO,
          **campi: Any) -> int:
    dati: dict[str, Any] = {"canale": "lettera", "tipo": "reclamo",
                            "oggetto": "Attesa oltre lo standard", "ricevuta_da": "URP",
                            "ricevuta_il": date(2026, 3, 2), **campi}
    with transazione(engine) as session:
        s = service.crea(session=session, autore=UPT, oggi=oggi, contatto=contatto, **dati)
        assert s.id is not None
        return s.id


def passo(engine: Engine, numero: int, nome: str, giorno: date, *, esito: str | None = None,
          nota: str | None = None, oggi: date = OGGI) -> Segnalazione:
    with transazione(engine) as session:
        _, s, _ = service.registra_passo(session=session, autore=UPT, oggi=oggi,
                                         id_segnalazione=numero, passo=nome, data=giorno,
                                         esito=esito, nota=nota)
        return s


def leggi(engine: Engine, numero: int) -> Segnalazione:
    with session_scope(engine) as session:
        s = session.get(Segnalazione, numero)
        assert s is not None
        return s


def passi(engine: Engine, numero: int) -> list[SegnalazionePasso]:
    with session_scope(engine) as session:
        return service.passi(session=session, id_segnalazione=numero)


def sanzione(engine: Engine, id_sanzione: int) -> Sanzione:
    with session_scope(engine) as session:
        s = session.get(Sanzione, id_sanzione)
        assert s is not None
        return s


def sanzione_di(engine: Engine, id_prenotazione: str, tipo: str) -> Sanzione:
    with session_scope(engine) as session:
        s = session.exec(select(Sanzione).where(Sanzione.id_prenotazione == id_prenotazione,
                                                Sanzione.tipo == tipo)).first()
        assert s is not None
        return s


def audit(engine: Engine) -> list[Audit]:
    with session_scope(engine) as session:
        return list(session.exec(select(Audit).order_by(Audit.id)).all())  # type: ignore[arg-type]
