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
import pyarrow.parquet as pq

from registro.errors import ErroreUtente, FileTroppoGrande

RIGA = "_riga"
_SNIFF_BYTES = 64 * 1024
_CHUNK = 4 << 20
RIGHE_PER_LOTTO = 250_000
"""Rows read, validated and spilled at a time: what bounds the ingest's memory."""


def _migliaia(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@dataclass(frozen=True)
class Limiti:
    """What a file may expand to: rows, and bytes once decompressed. The size on disk (or of
    an upload) says little: Parquet compresses repetitive rows a thousandfold."""

    righe: int = 100_000_000
    byte_decompressi: int = 50_000 * 1024 * 1024

    def rifiuta(self, path: Path, cosa: str) -> FileTroppoGrande:
        return FileTroppoGrande(f"{path}: il file supera i limiti ({cosa}); nessun dato è "
                                "stato scritto")

    def verifica_righe(self, path: Path, righe: int) -> None:
        if righe > self.righe:
            raise self.rifiuta(path, f"più di {_migliaia(self.righe)} righe")

    def verifica_byte(self, path: Path, n: int, come: str = "") -> None:
        if n > self.byte_decompressi:
            mb = self.byte_decompressi // (1024 * 1024)
            raise self.rifiuta(path, f"{_migliaia(n // (1024 * 1024))} MB{come}, il massimo "
                                     f"è {_migliaia(mb)} MB")


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


def _nul(path: Path, chunk: bytes, offset: int) -> None:
    """A NUL byte anywhere in a text file (not only in the sniffed head): PostgreSQL refuses
    NUL in text, and a text export has no business carrying one."""
    i = chunk.find(b"\x00")
    if i >= 0:
        raise _refuse(path, f"il file contiene un byte nullo (NUL) alla posizione {offset + i}: "
                            "un export di testo non ne contiene; è danneggiato?")


def _nul_nei_valori(path: Path, df: pl.DataFrame) -> None:
    """A NUL character inside a Parquet or JSON value: the whole file is refused, as a CSV
    with a NUL byte is (the database could not store the value)."""
    testi = [c for c, t in df.schema.items() if t == pl.String and c != RIGA]
    if not testi or df.height == 0:
        return
    con_nul = df.filter(pl.any_horizontal(
        pl.col(testi).str.contains("\x00", literal=True).fill_null(False)))
    if con_nul.height:
        raise _refuse(path, f"la riga {con_nul[RIGA][0]} contiene un carattere nullo (NUL)")


def _utf8(path: Path) -> tuple[bool, bool]:
    """(is the whole file UTF-8?, does it start with a BOM?), read in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        fh.seek(0)
        offset = 0
        try:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                _nul(path, chunk, offset)
                decoder.decode(chunk)
                offset += len(chunk)
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
            _nul(path, chunk, offset)
            try:
                out.write(chunk.decode("cp1252").encode("utf-8"))
            except UnicodeDecodeError as exc:  # bytes cp1252 leaves undefined (0x81, ...)
                raise _refuse(path, f"codifica non riconosciuta (né UTF-8 né Windows-1252): "
                                    f"byte {chunk[exc.start]:#04x} alla posizione "
                                    f"{offset + exc.start}") from exc
            offset += len(chunk)


@contextmanager
def _csv(path: Path, righe_per_lotto: int, limiti: Limiti) -> Iterator[Sorgente]:
    limiti.verifica_byte(path, path.stat().st_size)
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
            letti = 0
            try:
                for lotto in lotti.collect_batches(chunk_size=righe_per_lotto):
                    letti += lotto.height
                    limiti.verifica_righe(path, letti)  # before the batch is written
                    yield lotto
            except (pl.exceptions.PolarsError, ValueError) as exc:
                raise _refuse(path, f"CSV illeggibile: {str(exc).splitlines()[0]}") from exc

        yield Sorgente(colonne=nomi, lotti=leggi_lotti())


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            exprs.append(pl.col(name))
        elif dtype == pl.Date:  # Parquet date32: "%H" has no meaning for a date
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
        elif isinstance(dtype, pl.Datetime):  # wall-clock time as written, offset dropped
            exprs.append(pl.col(name).dt.replace_time_zone(None)
                         .dt.to_string("%Y-%m-%dT%H:%M:%S").alias(name))
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


def _metadati_parquet(path: Path, limiti: Limiti) -> None:
    """Rows and uncompressed size from the footer, before a single page is decompressed."""
    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise _refuse(path, f"Parquet illeggibile: {str(exc).splitlines()[0]}") from exc
    limiti.verifica_righe(path, meta.num_rows)
    limiti.verifica_byte(path, sum(meta.row_group(i).total_byte_size
                                   for i in range(meta.num_row_groups)), " decompresso")


@contextmanager
def _parquet(path: Path, righe_per_lotto: int, limiti: Limiti) -> Iterator[Sorgente]:
    _metadati_parquet(path, limiti)
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
                testo = _as_text(lotto.drop(RIGA)).with_columns(lotto[RIGA])
                _nul_nei_valori(path, testo)
                yield testo
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _refuse(path, f"Parquet illeggibile: {str(exc).splitlines()[0]}") from exc

    yield Sorgente(colonne=colonne, lotti=leggi_lotti())


@contextmanager
def _jsonl(path: Path, righe_per_lotto: int, limiti: Limiti) -> Iterator[Sorgente]:
    """Read whole: the columns of JSON Lines are known only once every line is seen."""
    limiti.verifica_byte(path, path.stat().st_size)
    data = path.read_bytes()
    if not data.strip():
        raise _refuse(path, "il file è vuoto")
    try:
        df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise _refuse(path, f"JSON Lines illeggibile: {str(exc).splitlines()[0]}") from exc
    if df.height == 0:
        raise nessuna_riga(path)
    limiti.verifica_righe(path, df.height)
    df = _as_text(df).with_row_index(RIGA, offset=1).with_columns(pl.col(RIGA).cast(pl.Int64))
    _nul_nei_valori(path, df)
    yield Sorgente(colonne=[c for c in df.columns if c != RIGA],
                   lotti=iter(df.iter_slices(righe_per_lotto)))


LETTORI: dict[str, Callable[[Path, int, Limiti], AbstractContextManager[Sorgente]]] = {
    ".csv": _csv,
    ".txt": _csv,
    ".parquet": _parquet,
    ".jsonl": _jsonl,
    ".ndjson": _jsonl,
}


@contextmanager
def apri(path: Path, righe_per_lotto: int = RIGHE_PER_LOTTO,
         limiti: Limiti | None = None) -> Iterator[Sorgente]:
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
    with lettore(path, righe_per_lotto, limiti or Limiti()) as sorgente:
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
