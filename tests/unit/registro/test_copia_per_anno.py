"""The mirror's partitions cut from a register (registro.colonnare.Scrittore._per_anno): the
same rows, in the same order, whether the register comes in runs of one year each (sliced,
as the incremental check's does) or mixed (filtered), nulls included."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from registro.colonnare import Scrittore


def _atteso(frame: pl.DataFrame) -> dict[int | None, list[str]]:
    anno = pl.col("data_prenotazione").dt.year()
    anni = frame.select(anno.unique(maintain_order=True)).to_series().to_list()
    return {a: frame.filter(anno.eq_missing(a))["id"].to_list() for a in anni}


def _frame(anni: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({
        "id": [f"r{i}" for i in range(len(anni))],
        "data_prenotazione": [None if a is None else datetime(a, 1 + i % 12, 1)
                              for i, a in enumerate(anni)],
    }, schema={"id": pl.String(), "data_prenotazione": pl.Datetime("us")})


@pytest.mark.parametrize("anni", [
    [2024, 2024, 2025, 2025, 2025, None, 2025, 2026, 2024],   # runs: sliced
    [2024, 2025] * 20 + [None, 2026] * 5,                     # mixed: filtered
    [2025] * 7,                                               # one year: the frame itself
    [None, None],
    [],
])
def test_partitions_are_the_years_rows_in_order(anni: list[int | None]) -> None:
    frame = _frame(anni)
    ottenuto = {a: parte["id"].to_list() for a, parte in Scrittore._per_anno(frame)}
    assert ottenuto == _atteso(frame)
    assert list(ottenuto) == list(_atteso(frame))   # years in order of appearance
