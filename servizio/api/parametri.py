"""Query and path parameters shared by the routers (constrained: bad input is a 422)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, WithJsonSchema

SENZA_NUL = r"^[^\x00]*$"
MAX_PER_PAGINA = 500

Pagina = Annotated[int, Query(ge=1, le=1_000_000, description="Numero di pagina, da 1.")]
PerPagina = Annotated[int, Query(ge=1, le=MAX_PER_PAGINA,
                                 description="Elementi per pagina (massimo 500).")]
Periodo = Annotated[str | None, Query(
    max_length=16, pattern=SENZA_NUL,
    description="Periodo: 2026, 2026-H1, 2026-Q2 o 2026-05.", examples=["2025"])]


def periodo_richiesto(
    periodo: Annotated[str | None, Query(
        max_length=16, pattern=SENZA_NUL, examples=["2025"],
        description="Periodo (obbligatorio): 2026, 2026-H1, 2026-Q2 o 2026-05.")] = None,
    period: Annotated[str | None, Query(
        max_length=16, pattern=SENZA_NUL, deprecated=True,
        description="Il nome precedente di `periodo`, accettato per compatibilità.")] = None,
) -> str:
    """The period of a table: `periodo`, or `period` as clients of earlier versions send it
    (the API's parameters are Italian; the English name stays accepted, not advertised)."""
    valore = periodo if periodo is not None else period
    if valore is None:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "periodo"),
                                       "msg": "campo obbligatorio mancante", "input": None}])
    return valore


_DATA_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def _solo_data_iso(valore: object) -> object:
    """A calendar day written as AAAA-MM-GG, nothing else: pydantic would read `0000` or
    `1700000000` as seconds since 1970 (so `/monitoring?al=0000` answered for 1 January
    1970)."""
    if isinstance(valore, date):
        return valore
    if isinstance(valore, str) and _DATA_ISO.fullmatch(valore):
        return valore
    raise ValueError("data non valida: serve AAAA-MM-GG (per esempio 2026-03-15)")


GiornoIso = Annotated[date, BeforeValidator(_solo_data_iso),
                      WithJsonSchema({"type": "string", "format": "date"})]
"""A date parameter or body field: only AAAA-MM-GG is accepted."""
