"""Small rules of the public site, at their boundaries: compliance bands, suppression,
the default period."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from public_site.dati import periodo_predefinito
from registro.soppressione import (
    CRITICO,
    IN_LINEA,
    NON_VALUTABILE,
    PARZIALE,
    sopprimi,
    sopprimi_conteggio,
)
from registro.soppressione import conformita as banda


@pytest.mark.parametrize(("quota", "attesa"), [
    (1.0, IN_LINEA), (0.9, IN_LINEA), (0.899, PARZIALE), (0.6, PARZIALE), (0.599, CRITICO),
    (0.0, CRITICO), (None, NON_VALUTABILE)])
def test_compliance_bands(quota: float | None, attesa: object) -> None:
    assert banda(quota) == attesa


def test_suppressed_share_has_no_band() -> None:
    assert banda(1.0, soppresso=True) == NON_VALUTABILE


@pytest.mark.parametrize(("n", "soppresso"), [(0, True), (4, True), (5, False), (6, False)])
def test_suppression_boundary(n: int, soppresso: bool) -> None:
    df = pl.DataFrame({"n": [n], "attesa_mediana": [12.5]})
    out = sopprimi(df, soglia=5, conteggio="n", colonne=["attesa_mediana"]).row(0, named=True)
    assert out["soppresso"] is soppresso
    assert (out["n"], out["attesa_mediana"]) == ((None, None) if soppresso else (n, 12.5))


@pytest.mark.parametrize(("n", "atteso"), [(0, 0), (1, None), (4, None), (5, 5)])
def test_small_counts_emptied_zero_kept(n: int, atteso: int | None) -> None:
    df = pl.DataFrame({"x": [n]})
    assert sopprimi_conteggio(df, soglia=5, colonne=["x"])["x"][0] == atteso
    lista = sopprimi(df, soglia=5, conteggio="x", colonne=[], flag="s",
                     zero_pubblicabile=True).row(0, named=True)
    assert lista["x"] == atteso


def _pren(*giorni: date) -> pl.DataFrame:
    return pl.DataFrame({"data_prenotazione": [datetime(g.year, g.month, g.day) for g in giorni]},
                        schema={"data_prenotazione": pl.Datetime("us")})


def test_default_period() -> None:
    oggi = date(2026, 5, 4)
    # the last complete year with bookings, even when the current year has some
    assert periodo_predefinito(_pren(date(2024, 3, 1), date(2025, 12, 31), date(2026, 2, 1)),
                               oggi).etichetta == "2025"
    # only the current year: that year
    assert periodo_predefinito(_pren(date(2026, 2, 1)), oggi).etichetta == "2026"
    assert periodo_predefinito(_pren(), oggi).etichetta == "2025"
