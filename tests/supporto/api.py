"""Fixtures for the API tests: a small register (bookings with a breach and sanctions, an
out-of-order admission), one token per role, a TestClient. Imported by the test modules, so
they run on both databases through the `engine`/`settings` fixtures of conftest.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import select

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.check import check
from registro.db import session_scope, transazione
from registro.models import Audit, Sanzione
from registro.settings import Settings
from servizio.api import service
from servizio.api.app import create_app
from supporto.prenotazioni import riga, scrivi_export

RUOLI = ("direzione", "cup", "upt", "lettura")

LISTA_RICOVERI = (
    "id_ricovero,data_inserimento,codice_reparto,codice_patologia,descrizione_patologia,"
    "classe_priorita,stato,data_ricovero,id_assistito,aggiornato_il\n"
    "RA,2026-01-02T09:00,36.01,81.51,Protesi d'anca,B,in_attesa,,A1,\n"
    "RB,2026-01-05T09:00,36.01,81.51,Protesi d'anca,B,ricoverato,2026-02-01,A2,\n"
    "RC,2026-01-07T09:00,36.01,81.51,Protesi d'anca,C,in_attesa,,A3,\n")


@pytest.fixture
def registro_api(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [
        riga("OK", data_appuntamento="2026-03-05T09:00"),
        riga("OLTRE", data_prenotazione="2026-03-02T10:00",
             data_appuntamento="2026-03-12T09:00", classe_priorita="D"),
        riga("RIN", stato="annullata_ente", esito_annullamento="rinuncia",
             causale_annullamento="guasto", aggiornato_il="2026-03-05T10:00",
             codice_sede="S002"),
        riga("NOSHOW", stato="non_presentato", importo_ticket="0", codice_sede="S002"),
        riga("VECCHIA", data_prenotazione="2025-06-02T10:00",
             data_appuntamento="2025-06-05T09:00", aggiornato_il="2025-06-02T10:00"),
    ]), engine=engine, settings=settings)
    # a second version of VECCHIA: history of two
    ingest(scrivi_export(tmp_path / "b.csv", [
        riga("VECCHIA", data_prenotazione="2025-06-02T10:00",
             data_appuntamento="2025-06-06T09:00", aggiornato_il="2025-06-03T10:00"),
    ]), engine=engine, settings=settings)
    lista = tmp_path / "lista.csv"
    lista.write_text(LISTA_RICOVERI, encoding="utf-8")
    ingest(lista, engine=engine, settings=settings, registro="ricoveri")
    from datetime import date

    check(engine=engine, settings=settings, oggi=date(2026, 3, 15))
    return engine


@pytest.fixture
def tokens(registro_api: Engine) -> dict[str, str]:
    out = {}
    with transazione(registro_api) as session:
        for ruolo in RUOLI:
            out[ruolo] = service.crea_token(session=session, nome=f"utente-{ruolo}",
                                            ruolo=ruolo)
    return out


@pytest.fixture
def client(settings: Settings, registro_api: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit(engine: Engine) -> list[Audit]:
    with session_scope(engine) as s:
        return list(s.exec(select(Audit).order_by(Audit.id)).all())  # type: ignore[arg-type]


def sanzione(engine: Engine, id_prenotazione: str, tipo: str) -> Sanzione:
    with session_scope(engine) as s:
        x = s.exec(select(Sanzione).where(Sanzione.id_prenotazione == id_prenotazione,
                                          Sanzione.tipo == tipo)).first()
    assert x is not None
    return x


def errore(resp: Any, status: int) -> dict[str, Any]:
    """Assert the status and the common error body; return the body."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"errore", "dettaglio"}, body
    assert isinstance(body["errore"], str) and body["errore"]
    return dict(body)


def carica_json(testo: str | None) -> Any:
    return None if testo is None else json.loads(testo)


# --- the schema checks (Schemathesis) ------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def conformi(operazioni: list[Any], headers: dict[str, str]) -> None:
    """A bounded Hypothesis run of every operation, each response checked against the
    schema (no 5xx, declared status codes, content types, bodies and headers)."""
    for operazione in operazioni:
        @given(case=operazione.as_strategy())
        @hyp_settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
        def prova(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        prova()
