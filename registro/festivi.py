"""Italian public holidays and working days, for the D.L. 73/2024 cancellation notice rule.

Holidays (L. 260/1949 and later): 1 and 6 January, Easter Sunday and Easter Monday
(Gregorian computus), 25 April, 1 May, 2 June, 15 August, 1 November, 8, 25 and 26
December, plus the local patron saint's day when given ("MM-DD"). Sundays are never
working days; Saturday is one or not by a setting. Pure Python, except the bulk helper
`termini_disdetta`, which loops over the distinct dates only and returns a polars frame
for the bulk path to join on.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date, datetime, timedelta
from functools import lru_cache

import polars as pl

FESTIVI_FISSI: tuple[tuple[int, int], ...] = (
    (1, 1),    # Capodanno
    (1, 6),    # Epifania
    (4, 25),   # Festa della Liberazione
    (5, 1),    # Festa del lavoro
    (6, 2),    # Festa della Repubblica
    (8, 15),   # Assunzione (Ferragosto)
    (11, 1),   # Ognissanti
    (12, 8),   # Immacolata Concezione
    (12, 25),  # Natale
    (12, 26),  # Santo Stefano
)

_PATRONO = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*$")
_UN_GIORNO = timedelta(days=1)


def pasqua(anno: int) -> date:
    """Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    if anno < 1583:
        raise ValueError(f"anno {anno}: il computo gregoriano vale dal 1583")
    a = anno % 19
    b, c = divmod(anno, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    mese, giorno = divmod(h + el - 7 * m + 114, 31)
    return date(anno, mese, giorno + 1)


def _mese_giorno(patrono: str) -> tuple[int, int]:
    """'MM-DD' as (month, day); a malformed or impossible day is a ValueError."""
    trovato = _PATRONO.match(patrono)
    if trovato is None:
        raise ValueError(f"patrono {patrono!r}: atteso il formato MM-DD (es. '12-07')")
    mese, giorno = int(trovato.group(1)), int(trovato.group(2))
    date(2024, mese, giorno)  # a leap year: rejects 02-30, 13-01, 04-31 ...
    return mese, giorno


@lru_cache(maxsize=512)
def _festivi(anno: int, patrono: str | None) -> frozenset[date]:
    giorni = {date(anno, mese, giorno) for mese, giorno in FESTIVI_FISSI}
    domenica = pasqua(anno)
    giorni.update((domenica, domenica + _UN_GIORNO))
    if patrono:
        mese, giorno = _mese_giorno(patrono)
        with suppress(ValueError):  # 29 February in a common year: no patron's day then
            giorni.add(date(anno, mese, giorno))
    return frozenset(giorni)


def festivi(anno: int, patrono: str | None = None) -> set[date]:
    """The public holidays of `anno` (plus the patron saint's day, 'MM-DD', if given)."""
    return set(_festivi(anno, patrono or None))


def _come_data(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def lavorativo(d: date, *, sabato_lavorativo: bool = False, patrono: str | None = None) -> bool:
    """Is `d` a working day? Sundays and holidays never are; Saturdays by the setting."""
    d = _come_data(d)
    giorno_settimana = d.weekday()
    if giorno_settimana == 6 or (giorno_settimana == 5 and not sabato_lavorativo):
        return False
    return d not in _festivi(d.year, patrono or None)


def termine_disdetta(
    appuntamento: date,
    giorni: int = 2,
    *,
    sabato_lavorativo: bool = False,
    patrono: str | None = None,
) -> date:
    """The `giorni`-th working day strictly before the appointment's date.

    A cancellation is timely when made on or before that date (D.L. 73/2024 art. 3:
    at least two working days before): an appointment on Thursday -> Tuesday.
    `giorni=0` gives the appointment's date itself.
    """
    if giorni < 0:
        raise ValueError(f"giorni={giorni}: deve essere >= 0")
    d = _come_data(appuntamento)
    contati = 0
    while contati < giorni:
        d -= _UN_GIORNO
        if lavorativo(d, sabato_lavorativo=sabato_lavorativo, patrono=patrono):
            contati += 1
    return d


def termini_disdetta(
    date_appuntamento: pl.Series,
    giorni: int = 2,
    *,
    sabato_lavorativo: bool = False,
    patrono: str | None = None,
) -> pl.DataFrame:
    """Columns `data` (Date) and `termine` (Date), one row per distinct non-null date of
    `date_appuntamento` (Date or Datetime), sorted: the bulk path joins on `data`."""
    distinte = date_appuntamento.cast(pl.Date).drop_nulls().unique().sort()
    termini = [
        termine_disdetta(d, giorni, sabato_lavorativo=sabato_lavorativo, patrono=patrono)
        for d in distinte.to_list()
    ]
    return pl.DataFrame(
        {"data": distinte.to_list(), "termine": termini},
        schema={"data": pl.Date, "termine": pl.Date},
    )
