"""Italian holidays and the D.L. 73/2024 notice deadline (registro.festivi)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registro.festivi import festivi, lavorativo, pasqua, termine_disdetta, termini_disdetta


@pytest.mark.parametrize(
    ("anno", "attesa"),
    [
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2000, date(2000, 4, 23)),
        (2038, date(2038, 4, 25)),  # latest possible date
        (2285, date(2285, 3, 22)),  # earliest possible date
    ],
)
def test_pasqua(anno: int, attesa: date) -> None:
    assert pasqua(anno) == attesa


@given(st.integers(1583, 4099))
def test_pasqua_domenica_tra_22_marzo_e_25_aprile(anno: int) -> None:
    p = pasqua(anno)
    assert p.weekday() == 6
    assert date(anno, 3, 22) <= p <= date(anno, 4, 25)


def test_festivi_2026() -> None:
    attesi = {
        date(2026, 1, 1), date(2026, 1, 6), date(2026, 4, 5), date(2026, 4, 6),
        date(2026, 4, 25), date(2026, 5, 1), date(2026, 6, 2), date(2026, 8, 15),
        date(2026, 11, 1), date(2026, 12, 8), date(2026, 12, 25), date(2026, 12, 26),
    }
    assert festivi(2026) == attesi
    assert festivi(2026, "12-07") == attesi | {date(2026, 12, 7)}
    assert festivi(2024, "02-29") == festivi(2024) | {date(2024, 2, 29)}
    assert festivi(2026, "02-29") == attesi  # no 29 February that year
    festivi(2026).add(date(2026, 3, 3))  # a fresh set: the cache is not touched
    assert date(2026, 3, 3) not in festivi(2026)


@pytest.mark.parametrize("patrono", ["7-12-2026", "13-01", "04-31", "santo", ""])
def test_patrono_malformato(patrono: str) -> None:
    if patrono == "":  # empty means none
        assert festivi(2026, patrono) == festivi(2026)
    else:
        with pytest.raises(ValueError):
            festivi(2026, patrono)


@pytest.mark.parametrize(
    "giorno",
    [
        date(2026, 4, 6),    # Easter Monday 2026
        date(2025, 4, 21),   # Easter Monday 2025
        date(2025, 8, 15),   # Ferragosto, a Friday
        date(2025, 4, 25),   # Liberazione, a Friday
        date(2026, 6, 2),    # Festa della Repubblica, a Tuesday
        date(2025, 12, 8),   # Immacolata, a Monday
        date(2026, 3, 8),    # a Sunday
    ],
)
def test_non_lavorativi(giorno: date) -> None:
    assert not lavorativo(giorno)
    assert not lavorativo(giorno, sabato_lavorativo=True)


def test_lavorativi_e_sabato() -> None:
    assert lavorativo(date(2026, 4, 7))  # Tuesday after Easter Monday
    sabato = date(2026, 3, 7)
    assert not lavorativo(sabato)
    assert lavorativo(sabato, sabato_lavorativo=True)
    assert not lavorativo(date(2026, 4, 25), sabato_lavorativo=True)  # a Saturday holiday
    assert lavorativo(datetime(2026, 3, 9, 23, 59))  # a datetime counts by its date


def test_patrono_non_lavorativo() -> None:
    sant_ambrogio = date(2025, 12, 5)  # a Friday, as if the patron were on 12-05
    assert lavorativo(sant_ambrogio)
    assert not lavorativo(sant_ambrogio, patrono="12-05")


def test_termine_giovedi_martedi() -> None:
    assert termine_disdetta(date(2026, 3, 12)) == date(2026, 3, 10)  # Thursday -> Tuesday
    assert termine_disdetta(date(2026, 3, 12), 1) == date(2026, 3, 11)
    assert termine_disdetta(date(2026, 3, 12), 0) == date(2026, 3, 12)
    assert termine_disdetta(datetime(2026, 3, 12, 8, 30)) == date(2026, 3, 10)
    with pytest.raises(ValueError):
        termine_disdetta(date(2026, 3, 12), -1)


def test_termine_lunedi_e_sabato() -> None:
    lunedi = date(2026, 3, 16)
    assert termine_disdetta(lunedi) == date(2026, 3, 12)  # Thursday
    assert termine_disdetta(lunedi, sabato_lavorativo=True) == date(2026, 3, 13)  # Fri, Sat
    martedi = date(2026, 3, 17)
    assert termine_disdetta(martedi) == date(2026, 3, 13)  # Friday
    assert termine_disdetta(martedi, sabato_lavorativo=True) == date(2026, 3, 14)  # Saturday


def test_termine_a_cavallo_di_pasquetta_2026() -> None:
    # Wed 8 Apr: Tue 7 (1st), Mon 6 Easter Monday, Sun 5 Easter, Sat 4, Fri 3 (2nd)
    assert termine_disdetta(date(2026, 4, 8)) == date(2026, 4, 3)
    # with working Saturdays the 4th counts
    assert termine_disdetta(date(2026, 4, 8), sabato_lavorativo=True) == date(2026, 4, 4)
    # Tue 7 Apr: Mon 6 no, Sun/Sat no, Fri 3 (1st), Thu 2 (2nd)
    assert termine_disdetta(date(2026, 4, 7)) == date(2026, 4, 2)


def test_termine_a_cavallo_di_ferragosto_2025() -> None:
    # Mon 18 Aug 2025: Sun 17, Sat 16, Fri 15 Ferragosto, Thu 14 (1st), Wed 13 (2nd)
    assert termine_disdetta(date(2025, 8, 18)) == date(2025, 8, 13)
    # Sat 16 Aug appointment with working Saturdays: Fri 15 no, Thu 14, Wed 13
    assert termine_disdetta(date(2025, 8, 16), sabato_lavorativo=True) == date(2025, 8, 13)
    assert termine_disdetta(date(2025, 8, 19)) == date(2025, 8, 14)


def test_termine_con_patrono() -> None:
    # Milano, Sant'Ambrogio 7 Dec; 8 Dec Immacolata. Wed 10 Dec 2025:
    # Tue 9 (1st), Mon 8 no, Sun 7 no, Sat 6 no, Fri 5 (2nd) - patron on a Sunday changes nothing
    assert termine_disdetta(date(2025, 12, 10), patrono="12-07") == date(2025, 12, 5)
    # Patron on Fri 5 Dec: Thu 4 becomes the 2nd
    assert termine_disdetta(date(2025, 12, 10), patrono="12-05") == date(2025, 12, 4)
    # Across the new year: Fri 2 Jan 2026: Thu 1 no, Wed 31 (1st), Tue 30 (2nd)
    assert termine_disdetta(date(2026, 1, 2)) == date(2025, 12, 30)


def test_termini_disdetta_distinte() -> None:
    serie = pl.Series(
        "data_appuntamento",
        [datetime(2026, 4, 8, 9), datetime(2026, 4, 8, 15), None, datetime(2026, 3, 12, 8)],
        dtype=pl.Datetime("us"),
    )
    termini = termini_disdetta(serie)
    assert termini.schema == pl.Schema({"data": pl.Date, "termine": pl.Date})
    assert termini.rows() == [
        (date(2026, 3, 12), date(2026, 3, 10)),
        (date(2026, 4, 8), date(2026, 4, 3)),
    ]
    vuoti = termini_disdetta(pl.Series([], dtype=pl.Date))
    assert vuoti.height == 0
    assert vuoti.schema == pl.Schema({"data": pl.Date, "termine": pl.Date})


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=20),
    st.booleans(),
    st.sampled_from([None, "12-07", "06-24", "04-25"]),
)
def test_termine_proprieta(giorni: list[date], sabato: bool, patrono: str | None) -> None:
    termini = termini_disdetta(
        pl.Series(giorni, dtype=pl.Date), sabato_lavorativo=sabato, patrono=patrono
    )
    assert termini.height == len(set(giorni))
    for d, termine in termini.iter_rows():
        assert termine == termine_disdetta(d, sabato_lavorativo=sabato, patrono=patrono)
        # exactly two working days in [termine, d), the termine itself one of them
        tra = [termine + timedelta(days=i) for i in range((d - termine).days)]
        assert sum(lavorativo(x, sabato_lavorativo=sabato, patrono=patrono) for x in tra) == 2
        assert lavorativo(termine, sabato_lavorativo=sabato, patrono=patrono)
