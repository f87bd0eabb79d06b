"""Italian formatting for the site's pages: numbers, days, shares, dates, labels of codes.

A reader of the site is an Italian citizen: decimal comma, dot for thousands, months by
name, and a dash where there is no value (an empty cell would read as "zero"). These are
the Jinja filters of every page and the labels the page contexts put in front of codes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from registro.money import cents, format_euro_it

TIPI = {"laboratorio": "Esame di laboratorio", "immagini": "Diagnostica per immagini",
        "visita": "Visita specialistica", "strumentale": "Diagnostica strumentale"}
TIPI_PLURALE = {"laboratorio": "esami di laboratorio", "immagini": "diagnostica per immagini",
                "visita": "visite specialistiche", "strumentale": "diagnostica strumentale"}
CLASSI = {"U": "U (urgente)", "B": "B (breve)", "D": "D (differibile)",
          "P": "P (programmata)", "A": "A", "C": "C"}
MESI = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
        "settembre", "ottobre", "novembre", "dicembre"]
SENZA_BRANCA = "Altre prestazioni"
"""The heading of services without a branch: listed last, never as an empty heading."""

MANCANTE = "—"


def numero(valore: float | int | None, decimali: int = 1) -> str:
    """Italian number: decimal comma, dot for thousands."""
    if valore is None:
        return MANCANTE
    if isinstance(valore, int):
        return f"{valore:,}".replace(",", ".")
    testo = f"{valore:,.{decimali}f}"
    return testo.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


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


def data_it(giorno: date | None) -> str:
    """'4 maggio 2026'; a register without data says so instead of showing a blank."""
    if giorno is None:
        return "nessun dato"
    return f"{giorno.day} {MESI[giorno.month - 1]} {giorno.year}"


def nome_mese(mese: str) -> str:
    """'2026-05' → 'maggio 2026'."""
    anno, m = mese.split("-")
    return f"{MESI[int(m) - 1]} {anno}"


def euro_it(importo: Decimal | None) -> str:
    """An amount in euro as '€ 1.234,56', a dash when there is none."""
    return format_euro_it(cents(importo)) if importo is not None else MANCANTE


FILTRI = {"numero": numero, "giorni": giorni, "percentuale": percentuale, "data_it": data_it,
          "euro_it": euro_it}
"""The Jinja filters of every template, by the name the templates use."""
