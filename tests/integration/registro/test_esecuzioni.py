"""The task log is written with SQLAlchemy Core: it must agree with the ORM model that the
API and the tests read, on both databases, for finished and failed runs."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from registro.db import session_scope
from registro.esecuzioni import _TABELLA, esecuzione
from registro.models import Esecuzione


def test_core_table_matches_the_model() -> None:
    modello = Esecuzione.__table__.c  # type: ignore[attr-defined]
    for colonna in _TABELLA.c:
        assert colonna.name in modello
        assert colonna.type._type_affinity is modello[colonna.name].type._type_affinity


def test_finished_and_failed_runs_are_read_back_by_the_orm(engine: Engine) -> None:
    with esecuzione(engine, "stats", "2026-Q1") as run:
        run.dettaglio = "929 righe"
    with pytest.raises(RuntimeError), esecuzione(engine, "check"):
        raise RuntimeError("disco pieno")
    with session_scope(engine) as s:
        righe = s.exec(select(Esecuzione).order_by(Esecuzione.id)).all()  # type: ignore[arg-type]
    assert [(r.attivita, r.periodo, r.stato, r.dettaglio) for r in righe] == [
        ("stats", "2026-Q1", "completata", "929 righe"),
        ("check", None, "fallita", "RuntimeError: disco pieno")]
    for r in righe:
        assert r.finita_il is not None and r.finita_il >= r.iniziata_il
