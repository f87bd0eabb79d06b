"""The optional column `data_ritiro_referto` (issue 14, item 7): validated, and a flag per row
that tells an export without the column (not tracked) from an empty cell (not collected)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cup.readers import RIGA
from cup.schema import CANONICHE, valida


def _righe(**colonne: list[str | None]) -> pl.DataFrame:
    base: dict[str, list[str | None]] = {
        "id_prenotazione": ["p1"], "data_prenotazione": ["2026-03-02T10:00"],
        "data_appuntamento": ["2026-03-06T09:30"], "codice_prestazione": ["89.7"],
        "codice_sede": ["S1"], "stato": ["erogata"], "id_assistito": ["A1"],
    }
    base.update(colonne)
    n = len(next(iter(base.values())))
    return pl.DataFrame({k: v * (n // len(v)) for k, v in base.items()},
                        schema=dict.fromkeys(base, pl.String)).with_columns(
        pl.int_range(2, n + 2, dtype=pl.Int64).alias(RIGA))


def test_colonna_nel_tracciato() -> None:
    assert "data_ritiro_referto" in CANONICHE


@pytest.mark.parametrize(("valore", "atteso"), [
    ("2026-03-20", date(2026, 3, 20)), ("20/03/2026", date(2026, 3, 20)),
    ("2026-03-06", date(2026, 3, 6)), ("", None), (None, None),
])
def test_ritiro_valido(valore: str | None, atteso: date | None) -> None:
    validi, scarti = valida(_righe(data_ritiro_referto=[valore]), ["89.7"])
    assert scarti.height == 0
    assert validi.select("data_ritiro_referto", "ritiro_referto_tracciato").row(0) == (
        atteso, True)


@pytest.mark.parametrize(("valore", "stato", "motivo"), [
    ("2026-03-05", "erogata", "ritiro del referto precedente all'appuntamento"),
    ("2026-03-20", "non_presentato", "data_ritiro_referto presente ma la prestazione non "
                                     "risulta erogata"),
    ("2026-13-01", "erogata", "data non valida"),
])
def test_ritiro_scartato(valore: str, stato: str, motivo: str) -> None:
    validi, scarti = valida(_righe(data_ritiro_referto=[valore], stato=[stato]), ["89.7"])
    assert validi.height == 0
    assert scarti.filter(pl.col("campo") == "data_ritiro_referto")["motivo"].item().startswith(
        motivo)


def test_colonna_assente_non_tracciata() -> None:
    validi, scarti = valida(_righe(), ["89.7"])
    assert scarti.height == 0
    assert validi.select("data_ritiro_referto", "ritiro_referto_tracciato").row(0) == (
        None, False)
