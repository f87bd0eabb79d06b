"""Reading CUP export files into raw text frames: the format registry and its sniffing.

Every reader returns the file's columns as text (codes such as `89.7` are not numbers), with
`_riga`, the record's number as an operator would look for it (CSV: the header is line 1).
A file that cannot be read at all raises ErroreUtente naming the file and the problem.
"""

from __future__ import annotations

import codecs
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from registro.errors import ErroreUtente

RIGA = "_riga"
_SNIFF_BYTES = 64 * 1024
_CHUNK = 4 << 20
RIGHE_PER_LOTTO = 250_000
"""Rows read, validated and spilled at a time: what bounds the ingest's memory."""


@dataclass
class Sorgente:
    colonne: list[str]
    """The file's column names, as the mapping sees them."""
    lotti: Iterator[pl.DataFrame]


def _refuse(path: Path, problema: str) -> ErroreUtente:
    return ErroreUtente(f"{path}: {problema}; nessun dato è stato scritto")


def _separatore(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    return sep if n > 0 else ","


def _utf8(path: Path) -> tuple[bool, bool]:
    """(is the whole file UTF-8?, does it start with a BOM?), read in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        fh.seek(0)
        try:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, bom
    return True, bom


def _transcodifica(path: Path, dest: Path, bom: bool) -> None:
    """Windows-1252 to UTF-8, chunk by chunk (a single-byte code: chunks split anywhere).
    A UTF-8 BOM before Windows-1252 text (an export mislabelled by its tool) is dropped."""
    with open(path, "rb") as src, open(dest, "wb") as out:
        offset = len(codecs.BOM_UTF8) if bom else 0
        src.seek(offset)
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            try:
                out.write(chunk.decode("cp1252").encode("utf-8"))
            except UnicodeDecodeError as exc:  # bytes cp1252 leaves undefined (0x81, ...)
                raise _refuse(path, f"codifica non riconosciuta (né UTF-8 né Windows-1252): "
                                    f"byte {chunk[exc.start]:#04x} alla posizione "
                                    f"{offset + exc.start}") from exc
            offset += len(chunk)


@contextmanager
def _csv(path: Path, righe_per_lotto: int) -> Iterator[Sorgente]:
    with open(path, "rb") as fh:
        inizio = fh.read(_SNIFF_BYTES)
    if not inizio.strip():
        raise _refuse(path, "il file è vuoto")
    if b"\x00" in inizio:
        raise _refuse(path, "il file non è un testo (contiene byte nulli): è un file binario?")
    with tempfile.TemporaryDirectory(prefix="registro-lettura-") as tmp:
        utf8, bom = _utf8(path)
        testo = path
        if not utf8:
            testo = Path(tmp) / "utf8.csv"
            _transcodifica(path, testo, bom)
            with open(testo, "rb") as fh:
                inizio = fh.read(_SNIFF_BYTES)
        first_line, _, resto = inizio.removeprefix(codecs.BOM_UTF8).partition(b"\n")
        first_line = first_line.rstrip(b"\r")
        if not resto.strip() and path.stat().st_size <= _SNIFF_BYTES:
            raise nessuna_riga(path)
        sep = _separatore(first_line.decode("utf-8", errors="replace"))
        try:
            lf = pl.scan_csv(testo, separator=sep, infer_schema=False, has_header=True,
                             quote_char='"', truncate_ragged_lines=True)
            colonne = lf.collect_schema().names()
        except (pl.exceptions.PolarsError, ValueError, OSError) as exc:
            raise _refuse(path, f"CSV illeggibile: {str(exc).splitlines()[0]}") from exc
        lf = lf.rename({c: c.strip().lstrip("\ufeff") for c in colonne})
        nomi = [c.strip().lstrip("\ufeff") for c in colonne]
        lotti = lf.with_row_index(RIGA, offset=2).with_columns(pl.col(RIGA).cast(pl.Int64))

        def leggi_lotti() -> Iterator[pl.DataFrame]:
            try:
                yield from lotti.collect_batches(chunk_size=righe_per_lotto)
            except (pl.exceptions.PolarsError, ValueError) as exc:
                raise _refuse(path, f"CSV illeggibile: {str(exc).splitlines()[0]}") from exc

        yield Sorgente(colonne=nomi, lotti=leggi_lotti())


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            exprs.append(pl.col(name))
        elif dtype.is_temporal():
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S").alias(name))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8).cast(pl.String))
        elif dtype.is_nested():
            # a JSON object or list as a value: kept as its JSON text (so pseudonymisation
            # sees a codice fiscale nested in it), not a cast that fails
            exprs.append(pl.struct(pl.col(name).alias("v")).struct.json_encode()
                         .str.strip_prefix('{"v":').str.strip_suffix("}").alias(name))
        else:
            exprs.append(pl.col(name).cast(pl.String))
    return df.select(exprs)


@contextmanager
def _parquet(path: Path, righe_per_lotto: int) -> Iterator[Sorgente]:
    try:
        lf = pl.scan_parquet(path)
        colonne = lf.collect_schema().names()
        vuoto = lf.select(pl.len()).collect().item() == 0
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise _refuse(path, f"Parquet illeggibile: {str(exc).splitlines()[0]}") from exc
    if vuoto:
        raise nessuna_riga(path)

    def leggi_lotti() -> Iterator[pl.DataFrame]:
        try:
            numerate = lf.with_row_index(RIGA, offset=1).with_columns(
                pl.col(RIGA).cast(pl.Int64))
            for lotto in numerate.collect_batches(chunk_size=righe_per_lotto):
                yield _as_text(lotto.drop(RIGA)).with_columns(lotto[RIGA])
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _refuse(path, f"Parquet illeggibile: {str(exc).splitlines()[0]}") from exc

    yield Sorgente(colonne=colonne, lotti=leggi_lotti())


@contextmanager
def _jsonl(path: Path, righe_per_lotto: int) -> Iterator[Sorgente]:
    """Read whole: the columns of JSON Lines are known only once every line is seen."""
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(path, "il file è vuoto")
    try:
        df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise _refuse(path, f"JSON Lines illeggibile: {str(exc).splitlines()[0]}") from exc
    if df.height == 0:
        raise nessuna_riga(path)
    df = _as_text(df).with_row_index(RIGA, offset=1).with_columns(pl.col(RIGA).cast(pl.Int64))
    yield Sorgente(colonne=[c for c in df.columns if c != RIGA],
                   lotti=iter(df.iter_slices(righe_per_lotto)))


LETTORI: dict[str, Callable[[Path, int], AbstractContextManager[Sorgente]]] = {
    ".csv": _csv,
    ".txt": _csv,
    ".parquet": _parquet,
    ".jsonl": _jsonl,
    ".ndjson": _jsonl,
}


@contextmanager
def apri(path: Path, righe_per_lotto: int = RIGHE_PER_LOTTO) -> Iterator[Sorgente]:
    """Open any supported export: its column names now, its rows as text batches (plus
    `_riga`) when iterated. Everything that makes a file unreadable *as a whole* (missing,
    empty, binary, unknown format or encoding) is raised here, before any row is read;
    a CSV broken further down raises while its batches are read."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "il file non esiste")
    if not path.is_file():
        raise _refuse(path, "non è un file")
    lettore = LETTORI.get(path.suffix.lower())
    if lettore is None:
        raise _refuse(path, f"formato non riconosciuto {path.suffix!r} "
                            f"(ammessi: {', '.join(sorted(LETTORI))})")
    with lettore(path, righe_per_lotto) as sorgente:
        yield sorgente


def nessuna_riga(path: Path) -> ErroreUtente:
    return _refuse(path, "il file non contiene righe di dati")


def leggi(path: Path) -> pl.DataFrame:
    """Read a whole (small) file as text columns plus `_riga`: catalogs, tests."""
    with apri(path) as sorgente:
        lotti = list(sorgente.lotti)
    if not lotti or sum(lotto.height for lotto in lotti) == 0:
        raise nessuna_riga(Path(path))
    return pl.concat(lotti, how="vertical")
