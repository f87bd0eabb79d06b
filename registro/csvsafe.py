"""Every CSV the project writes goes through here: UTF-8, text as text, formulas neutralised.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+`, `-`, `@` first) gets
a leading apostrophe: exports end up opened in Excel at CUP counters and in offices.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl

_FORMULA = r"^[=+\-@\t\r]"


def neutralizza(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix formula-looking text cells with `'` (text columns only; numbers stay numbers)."""
    testo = [n for n, t in df.schema.items() if t == pl.String]
    return df.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA)).then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c)).alias(c) for c in testo)


RIGHE_PER_FETTA = 250_000
"""Rows written at a time: polars builds a slice's text (and `neutralizza` its copy of the
text columns) in memory before writing it, so a whole frame at once cost as much again as
the frame (at 5 M bookings the monitoring list's JSON took 4.4 GB). Slices of a quarter
million rows cost tens of MB; the file is the same byte for byte (tests/unit/registro/
test_csvsafe.py writes with slices of three rows and compares)."""


def _fette(df: pl.DataFrame, righe: int) -> Iterator[pl.DataFrame]:
    """Zero-copy slices of at most `righe` rows (none for an empty frame)."""
    for inizio in range(0, df.height, righe):
        yield df.slice(inizio, righe)


def _scrivi_atomico(path: Path, scrivi: Callable[[BinaryIO], None]) -> Path:
    """Write through a temp file then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as f:
            scrivi(f)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return path


def scrivi_a_pezzi(pezzi: Iterable[pl.DataFrame], path: Path, formato: Literal["csv", "json"],
                   *, schema: pl.Schema, righe_per_fetta: int = RIGHE_PER_FETTA) -> Path:
    """The concatenation of `pezzi` (all of `schema`, the header's columns) written as
    `scrivi_csv` or `scrivi_json` would write it, without ever concatenating it: each piece
    is written in slices, and dropped (by this function) before the next is asked for, so a
    producer that computes its pieces one by one and keeps none of them (a generator that
    does not hold what it yielded) is bounded by its largest piece, not by the whole."""
    if formato not in ("csv", "json"):
        raise ValueError(f"formato sconosciuto: {formato!r} (ammessi: csv, json)")

    def scrivi(f: BinaryIO) -> None:
        if formato == "csv":
            pl.DataFrame(schema=schema).write_csv(f)  # the header, even with no rows
        else:
            f.write(b"[")
        prima = True
        for pezzo in pezzi:
            if pezzo.schema != schema:
                raise ValueError(f"schema diverso da quello dell'intestazione: {pezzo.schema}")
            for fetta in _fette(pezzo, righe_per_fetta):
                if formato == "csv":
                    neutralizza(fetta).write_csv(f, include_header=False)
                else:
                    # polars writes `[{…},{…}]`, no blanks between objects: the objects of
                    # every slice between one pair of brackets are the whole frame's
                    testo = io.BytesIO()
                    fetta.write_json(testo)
                    if not prima:
                        f.write(b",")
                    with testo.getbuffer() as vista:  # no copy of the slice's text
                        f.write(vista[1:-1])
                    del testo
                prima = False
                del fetta
            del pezzo
        if formato == "json":
            f.write(b"]")

    return _scrivi_atomico(path, scrivi)


def scrivi_csv(df: pl.DataFrame, path: Path, *, righe_per_fetta: int = RIGHE_PER_FETTA
               ) -> Path:
    """Write atomically (temp file then rename): a reader never sees half a file. In slices
    (RIGHE_PER_FETTA), the bytes of one `write_csv` of the whole."""
    return scrivi_a_pezzi([df], path, "csv", schema=df.schema, righe_per_fetta=righe_per_fetta)


def scrivi_json(df: pl.DataFrame, path: Path, *, righe_per_fetta: int = RIGHE_PER_FETTA
                ) -> Path:
    """A list of objects (dates as ISO text, numbers as numbers, UTF-8), written atomically
    by polars itself: no Python object per row. In slices (RIGHE_PER_FETTA), the bytes of one
    `write_json` of the whole."""
    return scrivi_a_pezzi([df], path, "json", schema=df.schema,
                          righe_per_fetta=righe_per_fetta)
