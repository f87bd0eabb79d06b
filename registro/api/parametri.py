"""Query and path parameters shared by the routers (constrained: bad input is a 422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

SENZA_NUL = r"^[^\x00]*$"
MAX_PER_PAGINA = 500

Pagina = Annotated[int, Query(ge=1, le=1_000_000, description="Numero di pagina, da 1.")]
PerPagina = Annotated[int, Query(ge=1, le=MAX_PER_PAGINA,
                                 description="Elementi per pagina (massimo 500).")]
Periodo = Annotated[str | None, Query(
    max_length=16, pattern=SENZA_NUL,
    description="Periodo: 2026, 2026-H1, 2026-Q2 o 2026-05.", examples=["2025"])]


