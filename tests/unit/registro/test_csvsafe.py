"""registro.csvsafe writes in slices and piece by piece: the file must be byte for byte the
one a single polars write of the whole (neutralised) frame gives, whatever the cut."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from registro.csvsafe import neutralizza, scrivi_a_pezzi, scrivi_csv, scrivi_json


def _tabella() -> pl.DataFrame:
    """Eight rows of every kind a report writes: text to neutralise, quotes, commas, new
    lines and non-ASCII, nulls everywhere, dates, booleans, integers, floats."""
    return pl.DataFrame({
        "testo": ["=HYPERLINK(\"x\")", "+39", "-1", "@a", "Forlì, \"centro\"", "a\nb", None,
                  "\tt"],
        "giorni": [1, None, -3, 40, 0, 7, 12, 1_000_000],
        "dal": [date(2025, 1, 1), None, date(2025, 12, 31), date(2024, 2, 29),
                date(2025, 6, 1), None, date(2026, 1, 15), date(2025, 3, 3)],
        "motivato": [True, False, None, True, False, False, True, None],
        "quota": [0.1, 1.0, None, 2.5e-7, 123456789.125, -0.0, 1 / 3, 10.0],
        "vuota": pl.Series([None] * 8, dtype=pl.String),
    })


def _intera_csv(df: pl.DataFrame) -> bytes:
    """What scrivi_csv wrote before it sliced: one write of the whole."""
    return neutralizza(df).write_csv().encode("utf-8")


@pytest.mark.parametrize("righe", [1, 3, 7, 8, 250_000])
def test_csv_in_slices_is_the_whole_write(tmp_path: Path, righe: int) -> None:
    df = _tabella()
    path = scrivi_csv(df, tmp_path / "t.csv", righe_per_fetta=righe)
    assert path.read_bytes() == _intera_csv(df)
    assert "'=HYPERLINK" in path.read_text("utf-8")
    assert not (tmp_path / "t.csv.tmp").exists()


@pytest.mark.parametrize("righe", [1, 3, 7, 8, 250_000])
def test_json_in_slices_is_the_whole_write(tmp_path: Path, righe: int) -> None:
    df = _tabella()
    path = scrivi_json(df, tmp_path / "t.json", righe_per_fetta=righe)
    assert path.read_bytes() == df.write_json().encode("utf-8")


@pytest.mark.parametrize("formato", ["csv", "json"])
def test_empty_frame(tmp_path: Path, formato: str) -> None:
    df = _tabella().clear()
    if formato == "csv":
        assert (scrivi_csv(df, tmp_path / "t").read_bytes()
                == b"testo,giorni,dal,motivato,quota,vuota\n")
    else:
        assert scrivi_json(df, tmp_path / "t").read_bytes() == b"[]"


@pytest.mark.parametrize("formato", ["csv", "json"])
def test_pieces_are_the_concatenation(tmp_path: Path, formato: str) -> None:
    """Pieces of any size, empty ones among them (a list with no entry), written in slices of
    three rows: the file of one write of their concatenation."""
    df = _tabella()
    pezzi = [df.clear(), df.slice(0, 2), df.clear(), df.slice(2, 5), df.slice(7, 1), df.clear()]
    path = scrivi_a_pezzi(iter(pezzi), tmp_path / "t", formato,  # type: ignore[arg-type]
                          schema=df.schema, righe_per_fetta=3)
    atteso = _intera_csv(df) if formato == "csv" else df.write_json().encode("utf-8")
    assert path.read_bytes() == atteso


@pytest.mark.parametrize("formato", ["csv", "json"])
def test_pieces_one_at_a_time(tmp_path: Path, formato: str) -> None:
    """Each piece is written and let go before the next is asked for: a producer that
    computes its pieces one by one and keeps none holds one piece, never two."""
    df = _tabella()
    vivi: list[weakref.ref[pl.DataFrame]] = []
    vivi_alla_richiesta: list[int] = []

    def crea(i: int) -> pl.DataFrame:
        pezzo = df.slice(i, 1).with_columns(pl.col("giorni") + 0)  # a frame of its own
        vivi.append(weakref.ref(pezzo))
        return pezzo

    def pezzi() -> Iterator[pl.DataFrame]:
        for i in range(df.height):
            vivi_alla_richiesta.append(sum(r() is not None for r in vivi))
            yield crea(i)

    path = scrivi_a_pezzi(pezzi(), tmp_path / "t", formato,  # type: ignore[arg-type]
                          schema=df.schema)
    assert vivi_alla_richiesta == [0] * df.height
    atteso = _intera_csv(df) if formato == "csv" else df.write_json().encode("utf-8")
    assert path.read_bytes() == atteso


def test_a_piece_of_another_schema_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    df = _tabella()
    altro = df.with_columns(pl.col("giorni").cast(pl.Int32))
    with pytest.raises(ValueError, match="schema"):
        scrivi_a_pezzi([df, altro], tmp_path / "t.csv", "csv", schema=df.schema)
    assert list(tmp_path.iterdir()) == []
