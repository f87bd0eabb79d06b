# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""Schemathesis on `/segnalazioni` with the UPT's token (bounded, both databases): the
general schema test runs as `direzione`, which may not write here, so the writes and the
documents are exercised under the one role that may."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from sqlalchemy import Engine
from supporto.api import auth, conformi, registro_api, sanzione, tokens  # noqa: F401
from supporto.tutela import nuova, passo

from registro.settings import Settings
from servizio.api.app import create_app


@pytest.mark.slow
def test_segnalazioni_conform_to_the_schema_as_upt(settings: Settings, registro_api: Engine,
                                                   tokens: dict[str, str]) -> None:
    # existing segnalazioni, so that the operations on one are not all 404s
    con_risposta = nuova(registro_api, id_prenotazione="OLTRE")
    passo(registro_api, con_risposta, "risolta", date(2026, 3, 3), esito="accolta")
    nuova(registro_api, contatto=None, tipo="suggerimento", canale="fax")
    nuova(registro_api, id_sanzione=sanzione(registro_api, "NOSHOW", "malum").id)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    headers = auth(tokens["upt"])
    operazioni = [r.ok() for r in schema.get_all_operations()  # type: ignore[union-attr]
                  if r.ok().path.startswith("/segnalazioni")]
    assert len(operazioni) == 5
    conformi(operazioni, headers)
