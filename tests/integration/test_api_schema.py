# ruff: noqa: F811 — the fixtures imported from api_helpers are used as arguments
"""Schemathesis against the app's own OpenAPI schema (bounded, both databases): no 5xx and
no response contradicting the schema, with a `direzione` token (every operation allowed)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from api_helpers import auth, registro_api, tokens  # noqa: F401
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

from registro.settings import Settings
from servizio.api.app import create_app

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


@pytest.mark.slow
def test_api_conforms_to_its_schema(settings: Settings, registro_api: Engine,
                                    tokens: dict[str, str]) -> None:
    app = create_app(settings.model_copy(update={"api_max_upload_mb": 2}))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(tokens["direzione"])
    operazioni = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operazioni) == 17   # 12 + the five of /segnalazioni
    conformi(operazioni, headers)
