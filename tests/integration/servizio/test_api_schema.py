# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""Schemathesis against the app's own OpenAPI schema (bounded, both databases): no 5xx and
no response contradicting the schema, with a `direzione` token (every operation allowed)."""

from __future__ import annotations

import pytest
import schemathesis
from sqlalchemy import Engine
from supporto.api import auth, conformi, registro_api, tokens  # noqa: F401

from registro.settings import Settings
from servizio.api.app import create_app


@pytest.mark.slow
def test_api_conforms_to_its_schema(settings: Settings, registro_api: Engine,
                                    tokens: dict[str, str]) -> None:
    app = create_app(settings.model_copy(update={"api_max_upload_mb": 2}))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(tokens["direzione"])
    operazioni = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operazioni) == 17   # 12 + the five of /segnalazioni
    conformi(operazioni, headers)
