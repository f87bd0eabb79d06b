"""Which period a scheduled report covers, and the period before it (same length)."""

from __future__ import annotations

from datetime import date

from registro.periodo import Periodo


def mesi(p: Periodo) -> int:
    return (p.fine.year - p.inizio.year) * 12 + p.fine.month - p.inizio.month


def _etichetta(anno: int, primo_mese: int, durata: int) -> str:
    if durata == 12:
        return f"{anno}"
    if durata == 6:
        return f"{anno}-H{1 if primo_mese == 1 else 2}"
    if durata == 3:
        return f"{anno}-Q{(primo_mese - 1) // 3 + 1}"
    return f"{anno}-{primo_mese:02d}"


def precedente(p: Periodo) -> Periodo:
    """The period of the same length just before `p` (2026-H1 → 2025-H2, 2026-05 → 2026-04)."""
    durata = mesi(p)
    indice = p.inizio.year * 12 + p.inizio.month - 1 - durata
    return Periodo.parse(_etichetta(indice // 12, indice % 12 + 1, durata))


def ultimo_chiuso(durata: int, oggi: date) -> Periodo:
    """The last period of `durata` months (1, 3, 6, 12) fully ended before `oggi`."""
    corrente = (oggi.month - 1) // durata * durata  # 0-based first month of the current one
    indice = oggi.year * 12 + corrente - durata
    return Periodo.parse(_etichetta(indice // 12, indice % 12 + 1, durata))
