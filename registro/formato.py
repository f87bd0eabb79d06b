"""Italian number formatting shared by every output a person reads: the site and the reports.

Decimal comma, dot for thousands, shares as percentages with one decimal, a dash where there
is no value (an empty cell would read as "zero"). The foundation holds them so that the
public site and the Conferenza report print a number the same way.
"""

from __future__ import annotations

from decimal import Decimal

from registro.money import cents, format_euro_it

MANCANTE = "—"


def numero(valore: float | int | None, decimali: int = 1) -> str:
    """Italian number: decimal comma, dot for thousands."""
    if valore is None:
        return MANCANTE
    if isinstance(valore, int):
        return f"{valore:,}".replace(",", ".")
    testo = f"{valore:,.{decimali}f}"
    return testo.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def intero(valore: int) -> str:
    """A count as a person reads it in Italian, in the terminal too: 1.234.567 (the
    operators' scripts read `--json`, not these lines)."""
    return f"{int(valore):,}".replace(",", ".")


def giorni(valore: float | int | None) -> str:
    """Days: whole days without a decimal (a median of 12.0 reads as 12), else one decimal."""
    if valore is None:
        return MANCANTE
    if isinstance(valore, float) and valore.is_integer():
        valore = int(valore)
    return numero(valore, 1)


def percentuale(quota: float | None) -> str:
    """A share (0–1) as a percentage with one decimal."""
    if quota is None:
        return MANCANTE
    return f"{numero(quota * 100, 1)} %"


def euro_it(importo: Decimal | None) -> str:
    """An amount in euro as '€ 1.234,56', a dash when there is none."""
    return format_euro_it(cents(importo)) if importo is not None else MANCANTE
