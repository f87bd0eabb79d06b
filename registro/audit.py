"""The audit trail: who changed what, when, with the record before and after. Every write
by a person (API, CLI, console) leaves one row, in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from registro.models import Audit


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
