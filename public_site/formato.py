"""Italian formatting for the site's pages: numbers, days, shares, dates, labels of codes.

A reader of the site is an Italian citizen: decimal comma, dot for thousands, months by
name, and a dash where there is no value (an empty cell would read as "zero"). The numbers
are formatted by `registro.formato`, shared with the reports. These are the Jinja filters
of every page and the labels the page contexts put in front of codes.
"""

from __future__ import annotations

from datetime import date

from registro.formato import euro_it, giorni, numero, percentuale

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


def data_it(giorno: date | None) -> str:
    """'4 maggio 2026'; a register without data says so instead of showing a blank."""
    if giorno is None:
        return "nessun dato"
    return f"{giorno.day} {MESI[giorno.month - 1]} {giorno.year}"


def nome_mese(mese: str) -> str:
    """'2026-05' → 'maggio 2026'."""
    anno, m = mese.split("-")
    return f"{MESI[int(m) - 1]} {anno}"


FILTRI = {"numero": numero, "giorni": giorni, "percentuale": percentuale, "data_it": data_it,
          "euro_it": euro_it}
"""The Jinja filters of every template, by the name the templates use."""
