"""Italian formatting for the site's pages: numbers, days, shares, dates, labels of codes.

A reader of the site is an Italian citizen: decimal comma, dot for thousands, months by
name, and a dash where there is no value (an empty cell would read as "zero"). The numbers
are formatted by `registro.formato`, shared with the reports. These are the Jinja filters
of every page and the labels the page contexts put in front of codes.
"""

from __future__ import annotations

from datetime import date, datetime

from registro.formato import MANCANTE, euro_it, giorni, numero, percentuale

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



def in_giorni(valore: float | int | None) -> str:
    """Days with their unit, as a person reads them: '1 giorno', '12 giorni', '7,5 giorni'."""
    if valore is None:
        return MANCANTE
    testo = giorni(valore)
    return f"{testo} giorno" if testo == "1" else f"{testo} giorni"


def data_it(giorno: date | None) -> str:
    """'4 maggio 2026'; a register without data says so instead of showing a blank."""
    if giorno is None:
        return "nessun dato"
    return f"{giorno.day} {MESI[giorno.month - 1]} {giorno.year}"


def data_ora_it(momento: datetime) -> str:
    """'4 maggio 2026 alle 10.05': when a page was generated (Italian time with a dot)."""
    return f"{data_it(momento.date())} alle {momento.hour}.{momento.minute:02d}"


PROFILI = {"carta1995": "Carta dei servizi pubblici sanitari (1995)",
           "pngla": "Piano nazionale di governo delle liste d'attesa"}


def nome_profilo(nome: str) -> str:
    """The target profile in words, never its setting key ('carta1995+locale' → the Carta,
    with the authority's own targets)."""
    base, _, locale = nome.partition("+")
    testo = PROFILI.get(base, "standard dell'Azienda")
    return f"{testo}, con i tempi fissati dall'Azienda" if locale else testo


CAUSALI = {"emergenza": "un'emergenza che l'Azienda deve fronteggiare (per esempio un "
                        "guasto delle apparecchiature o un'urgenza clinica)"}


def causale(chiave: str) -> str:
    """A cancellation cause in words, never the raw key of the setting."""
    pulita = chiave.strip().lower()
    return CAUSALI.get(pulita, pulita.replace("_", " "))


def nome_mese(mese: str) -> str:
    """'2026-05' → 'maggio 2026'."""
    anno, m = mese.split("-")
    return f"{MESI[int(m) - 1]} {anno}"


FILTRI = {"numero": numero, "giorni": giorni, "in_giorni": in_giorni,
          "percentuale": percentuale, "data_it": data_it, "euro_it": euro_it}
"""The Jinja filters of every template, by the name the templates use."""
