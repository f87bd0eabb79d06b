"""Reading CUP export files into raw text frames: the format registry and its sniffing.

Every reader returns the file's columns as text (codes such as `89.7` are not numbers), with
`_riga`, the record's number as an operator would look for it (CSV: the header is line 1).
A file that cannot be read at all raises ErroreUtente naming the file and the problem.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl

from registro.errors import ErroreUtente

RIGA = "_riga"
_SNIFF_BYTES = 64 * 1024


def _refuse(path: Path, problema: str) -> ErroreUtente:
    return ErroreUtente(f"{path}: {problema}; nessun dato è stato scritto")


def _decode(path: Path, data: bytes) -> bytes:
    """UTF-8 bytes from UTF-8 (BOM or not) or Windows-1252, the encodings CUP exports use."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:  # bytes cp1252 leaves undefined (0x81, 0x8D, ...)
        raise _refuse(path, f"codifica non riconosciuta (né UTF-8 né Windows-1252): "
                            f"byte {data[exc.start]:#04x} alla posizione {exc.start}") from exc


def _separatore(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    return sep if n > 0 else ","


def leggi_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(path, "il file è vuoto")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise _refuse(path, "il file non è un testo (contiene byte nulli): è un file binario?")
    text = _decode(path, data)
    first_line = text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    sep = _separatore(first_line)
    try:
        df = pl.read_csv(
            io.BytesIO(text), separator=sep, infer_schema=False, has_header=True,
            quote_char='"', truncate_ragged_lines=True,
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise _refuse(path, f"CSV illeggibile: {str(exc).splitlines()[0]}") from exc
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    return df.with_row_index(RIGA, offset=2).with_columns(pl.col(RIGA).cast(pl.Int64))


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            exprs.append(pl.col(name))
        elif dtype.is_temporal():
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S").alias(name))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8).cast(pl.String))
        else:
            exprs.append(pl.col(name).cast(pl.String))
    return df.select(exprs)


def leggi_parquet(path: Path) -> pl.DataFrame:
    try:
        df = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise _refuse(path, f"Parquet illeggibile: {str(exc).splitlines()[0]}") from exc
    return _as_text(df).with_row_index(RIGA, offset=1).with_columns(pl.col(RIGA).cast(pl.Int64))


def leggi_jsonl(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(path, "il file è vuoto")
    try:
        df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise _refuse(path, f"JSON Lines illeggibile: {str(exc).splitlines()[0]}") from exc
    return _as_text(df).with_row_index(RIGA, offset=1).with_columns(pl.col(RIGA).cast(pl.Int64))


LETTORI: dict[str, Callable[[Path], pl.DataFrame]] = {
    ".csv": leggi_csv,
    ".txt": leggi_csv,
    ".parquet": leggi_parquet,
    ".jsonl": leggi_jsonl,
    ".ndjson": leggi_jsonl,
}


def leggi(path: Path) -> pl.DataFrame:
    """Read any supported export as text columns plus `_riga`."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "il file non esiste")
    if not path.is_file():
        raise _refuse(path, "non è un file")
    lettore = LETTORI.get(path.suffix.lower())
    if lettore is None:
        raise _refuse(path, f"formato non riconosciuto {path.suffix!r} "
                            f"(ammessi: {', '.join(sorted(LETTORI))})")
    df = lettore(path)
    if df.height == 0:
        raise _refuse(path, "il file non contiene righe di dati")
    return df
