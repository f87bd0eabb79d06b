"""registro.importi: the ticket is the tariff up to `ticket_massimo` (boundary −1 cent, equal,
+1 cent, no tariff), the fixed quota exists only above zero, and the polars expression of the
open data agrees with the Python rule of the pages on any tariff."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registro.importi import Importi, importi, quota_fissa_cent, ticket_cent, ticket_cent_expr
from registro.settings import Settings

TETTO = Decimal("36.15")


@pytest.mark.parametrize(("tariffa", "atteso"), [
    (3614, 3614), (3615, 3615), (3616, 3615), (0, 0), (4880, 3615), (None, None)])
def test_ticket_is_the_tariff_up_to_the_ceiling(tariffa: int | None,
                                               atteso: int | None) -> None:
    assert ticket_cent(tariffa, TETTO) == atteso


def test_fixed_quota_only_when_set() -> None:
    assert quota_fissa_cent(Decimal("0")) is None
    assert quota_fissa_cent(Decimal("0.00")) is None
    assert quota_fissa_cent(Decimal("0.01")) == 1
    assert quota_fissa_cent(Decimal("10")) == 1000


def test_amounts_in_euro_as_decimal() -> None:
    assert importi(4880, ticket_massimo=TETTO, quota_fissa_ricetta=Decimal("0")) == Importi(
        tariffa=Decimal("48.80"), ticket=Decimal("36.15"), quota_fissa=None)
    senza = importi(None, ticket_massimo=TETTO, quota_fissa_ricetta=Decimal("2.5"))
    assert senza == Importi(tariffa=None, ticket=None, quota_fissa=Decimal("2.50"))
    assert isinstance(senza.quota_fissa, Decimal)


def test_settings_defaults_and_refusals() -> None:
    s = Settings()
    assert s.ticket_massimo == Decimal("36.15") and isinstance(s.ticket_massimo, Decimal)
    assert s.quota_fissa_ricetta == Decimal("0")
    assert Settings(ticket_massimo="20.50").ticket_massimo == Decimal("20.50")
    for campo, valore in (("ticket_massimo", "-1"), ("quota_fissa_ricetta", "-0.01"),
                          ("ticket_massimo", "1.234")):
        with pytest.raises(ValueError):
            Settings(**{campo: valore})


@given(tariffe=st.lists(st.one_of(st.none(), st.integers(0, 2_000_000_000)), max_size=30),
       tetto=st.decimals(min_value=0, max_value=100_000, places=2))
def test_expression_agrees_with_the_rule(tariffe: list[int | None], tetto: Decimal) -> None:
    df = pl.DataFrame({"tariffa_cent": tariffe}, schema={"tariffa_cent": pl.Int64})
    calcolati = df.select(ticket_cent_expr(pl.col("tariffa_cent"), tetto)).to_series()
    assert calcolati.to_list() == [ticket_cent(t, tetto) for t in tariffe]
