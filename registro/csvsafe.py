"""Every CSV the project writes goes through here: UTF-8, text as text, formulas neutralised.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+`, `-`, `@` first) gets
a leading apostrophe: exports end up opened in Excel at CUP counters and in offices.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

_FORMULA = r"^[=+\-@\t\r]"


def neutralizza(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix formula-looking text cells with `'` (text columns only; numbers stay numbers)."""
    testo = [n for n, t in df.schema.items() if t == pl.String]
    return df.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA)).then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c)).alias(c) for c in testo)


def scrivi_csv(df: pl.DataFrame, path: Path) -> Path:
    """Write atomically (temp file then rename): a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    neutralizza(df).write_csv(tmp)
    tmp.replace(path)
    return path


def scrivi_json(df: pl.DataFrame, path: Path) -> Path:
    """A list of objects (dates as ISO text, numbers as numbers, UTF-8), written atomically
    by polars itself: no Python object per row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    df.write_json(tmp)
    tmp.replace(path)
    return path
