"""Reporting periods as operators write them: `2026`, `2026-H1`, `2026-Q2`, `2026-05`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from registro.errors import ErroreUtente

_FORMA = re.compile(r"^([0-9]{4})(?:-(H[12]|Q[1-4]|[0-9]{2}))?$")


@dataclass(frozen=True)
class Periodo:
    etichetta: str
    inizio: date
    """First day, included."""
    fine: date
    """Day after the last one (half-open: inizio <= d < fine)."""

    @classmethod
    def parse(cls, testo: str) -> Periodo:
        m = _FORMA.match(testo.strip())
        if not m:
            raise ErroreUtente(
                f"periodo non valido: {testo!r} (esempi: 2026, 2026-H1, 2026-Q2, 2026-05)")
        anno, parte = int(m.group(1)), m.group(2)
        if not 1900 <= anno <= 2200:
            raise ErroreUtente(f"periodo non valido: {testo!r} (anno fuori intervallo)")
        if parte is None:
            primo, mesi = 1, 12
        elif parte[0] == "H":
            primo, mesi = (1 if parte == "H1" else 7), 6
        elif parte[0] == "Q":
            primo, mesi = 3 * (int(parte[1]) - 1) + 1, 3
        else:
            primo, mesi = int(parte), 1
            if not 1 <= primo <= 12:
                raise ErroreUtente(f"periodo non valido: {testo!r} (mese {parte} inesistente)")
        fine_mese = primo + mesi
        fine = date(anno + 1, 1, 1) if fine_mese > 12 else date(anno, fine_mese, 1)
        return cls(etichetta=testo.strip(), inizio=date(anno, primo, 1), fine=fine)
