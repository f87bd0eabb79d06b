"""The open data's euro text, computed as an expression, is `format_euro` to the character."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from public_site.open_data import _euro_testo
from registro.money import format_euro


@given(st.lists(st.one_of(st.none(), st.integers(-10**9, 10**9)), max_size=50))
def test_euro_text_equals_format_euro(cent: list[int | None]) -> None:
    ottenuto = pl.DataFrame({"c": cent}, schema={"c": pl.Int64}).select(
        _euro_testo(pl.col("c"))).to_series().to_list()
    assert ottenuto == [None if c is None else format_euro(c) for c in cent]
