"""The columnar mirror of the specialistica register: a Parquet copy of the current bookings
(the columns the rules and the statistics read, with their catalog `tipo`), so that the
statistics, the site and the reports scan a compressed column file instead of reading a
million rows back through the database driver (≈ 5 s for 1 M rows from SQLite, ≈ 0.3 s from
the mirror).

The database stays the system of record. The mirror carries, in its Parquet metadata, the
*impronta* of the register it was taken from: the latest completed ingest of the
specialistica (id and end time), the catalog's codes, types, periodicity and tariffs, and
the database. A reader
recomputes the impronta (two tiny queries) and uses the mirror only when it matches;
otherwise it reads the database and rewrites the mirror. Nothing but an ingest changes the
bookings' own columns and nothing but a catalog import changes the catalog's; a restored backup
brings back an older ingest id or time, so a stale mirror is never used. `registro check`,
which reads every booking anyway, writes the mirror as a by-product.

The impronta is taken *before* the bookings are read: should an ingest land in between, the
mirror holds newer data under an older impronta and is simply rebuilt by the next reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from registro.checksum import sha256_file
from registro.letture import leggi_prenotazioni
from registro.settings import Settings

log = logging.getLogger("registro.colonnare")

CHIAVE_METADATI = "registro_impronta"


def percorso(settings: Settings) -> Path:
    return Path(settings.data_dir) / "colonnare" / "prenotazione.parquet"


def impronta(engine: Engine, *, conn: object = None) -> str:
    """What identifies the bookings' content: see the module's docstring. `conn`: the
    check's own ADBC connection, when asked under its lock."""
    sql_run = ("SELECT id, finito_il FROM ingest_run WHERE registro = 'prestazioni' "
               "AND stato = 'completato' ORDER BY id DESC LIMIT 1")
    sql_cat = "SELECT codice, tipo, periodica, tariffa_cent FROM prestazione ORDER BY codice"
    if conn is None:
        with engine.connect() as c:
            run = c.execute(text(sql_run)).first()
            catalogo = [tuple(r) for r in c.execute(text(sql_cat)).all()]
    else:
        cur = conn.cursor()  # type: ignore[attr-defined]
        try:
            cur.execute(sql_run)
            run = cur.fetchone()
            cur.execute(sql_cat)
            catalogo = [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()
    h = hashlib.sha256()
    h.update(engine.url.render_as_string(hide_password=True).encode())
    h.update(repr(_run_normalizzato(run)).encode())
    for codice, tipo, periodica, tariffa in catalogo:
        h.update(f"\x1f{codice}\x1e{tipo}\x1e{bool(periodica)}\x1e{tariffa}".encode())
    return h.hexdigest()


def _run_normalizzato(run: Any) -> tuple[int, str] | None:
    """(id, end) the same whichever driver read it (a datetime, or SQLite's ISO text)."""
    if run is None:
        return None
    run_id, fine = run
    if isinstance(fine, str):
        fine = datetime.fromisoformat(fine)
    return int(run_id), fine.isoformat(sep=" ") if fine is not None else ""


OPZIONI_SCRITTURA: dict[str, Any] = {"compression": "lz4", "write_statistics": False,
                                     "write_page_checksum": True}
"""Every page carries its CRC: a page damaged in the middle of the file (footer intact, so
the impronta still matches) is caught on read instead of decoding into wrong numbers."""


def scrivi(frame: pl.DataFrame, settings: Settings, impronta_: str) -> Path | None:
    """Replace the mirror atomically; a failure to write (read-only data_dir, full disk) is
    logged and costs only speed, never correctness."""
    dest = percorso(settings)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tabella = frame.to_arrow()
        tabella = tabella.replace_schema_metadata({CHIAVE_METADATI: impronta_})
        pq.write_table(tabella, tmp, **OPZIONI_SCRITTURA)
        os.replace(tmp, dest)
    except OSError as exc:
        log.warning("copia colonnare non scritta (%s): le letture useranno il database", exc)
        tmp.unlink(missing_ok=True)
        return None
    return dest


class Scrittore:
    """The mirror written a pass at a time (`registro check`), as the row groups of one
    Parquet file that replaces the old one only on `conferma()`: the check's memory follows
    its pass, and a failed check leaves the previous mirror (whose impronta then tells)."""

    def __init__(self, settings: Settings) -> None:
        self.dest = percorso(settings)
        self.tmp = self.dest.with_name(f".{self.dest.name}.{os.getpid()}.tmp")
        self.impronta = ""
        self._writer: Any = None
        self._guasto = False
        self._chiuso = False

    def __enter__(self) -> Scrittore:
        return self

    def aggiungi(self, frame: pl.DataFrame) -> None:
        if self._guasto:
            return
        try:
            tabella = frame.to_arrow()
            if self._writer is None:
                self.dest.parent.mkdir(parents=True, exist_ok=True)
                schema = tabella.schema.with_metadata({CHIAVE_METADATI: self.impronta})
                self._writer = pq.ParquetWriter(self.tmp, schema, **OPZIONI_SCRITTURA)
            self._writer.write_table(tabella.cast(self._writer.schema))
        except OSError as exc:
            self._abbandona(exc)

    def chiudi(self) -> str | None:
        """Finish the file without putting it in place: its SHA-256 (None when none was
        written), which the check records in its own transaction before `conferma()`."""
        if self._writer is None or self._guasto:
            return None
        try:
            self._writer.close()
            self._writer = None
            self._chiuso = True
            return sha256_file(self.tmp)
        except OSError as exc:
            self._abbandona(exc)
            return None

    def conferma(self) -> None:
        if self._guasto or (self._writer is None and not self._chiuso):
            return
        try:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            os.replace(self.tmp, self.dest)
        except OSError as exc:
            self._abbandona(exc)

    def _abbandona(self, exc: OSError) -> None:
        log.warning("copia colonnare non scritta (%s): le letture useranno il database", exc)
        self._guasto = True
        self._chiudi()

    def _chiudi(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(OSError):
                self._writer.close()
            self._writer = None
        self.tmp.unlink(missing_ok=True)

    def __exit__(self, *_exc: object) -> None:
        self._chiudi()


def _valida(path: Path, attesa: str) -> bool:
    try:
        return pl.read_parquet_metadata(path).get(CHIAVE_METADATI) == attesa
    except (OSError, pl.exceptions.PolarsError):
        return False


CODICI = ("codice_prestazione", "codice_sede", "classe_priorita", "tipo_accesso", "stato",
          "tipo")
"""The columns the statistics group and filter on: a few hundred distinct values each, so a
reader that asks for them dictionary-coded gets polars Categoricals straight from the
Parquet dictionary pages, and groups on integers instead of hashing strings."""


def _leggi(path: Path, *, codici_categorici: bool = False) -> pl.DataFrame | None:
    """The mirror read whole, every page's checksum verified; None when it cannot be read.

    The single place where the mirror is read: any damage (truncated, bytes changed in the
    middle, not Parquet at all) shows here as an error and is answered by a rebuild, rather
    than surfacing later in a consumer's `collect()` as a traceback or a 500.

    Through `ParquetFile`, not `pq.read_table`: the latter goes through pyarrow.dataset,
    whose import pulls in pandas (≈ 0.2 s of every `registro stats`)."""
    try:
        tabella = pq.ParquetFile(
            path, page_checksum_verification=True,
            read_dictionary=list(CODICI) if codici_categorici else None).read()
        frame = pl.from_arrow(tabella)
    except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        motivo = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("copia colonnare illeggibile (%s): ricostruita dal database", motivo)
        return None
    assert isinstance(frame, pl.DataFrame)
    return frame


def prenotazioni(engine: Engine, settings: Settings, *, codici_categorici: bool = False
                 ) -> pl.LazyFrame:
    """The current bookings with `tipo` (schema `registro.letture.SCHEMA_LETTURA`), lazily:
    from the mirror when it matches the database and reads back sound, otherwise from the
    database (and the mirror is rebuilt). `codici_categorici`: the columns `CODICI` as
    Categorical (for a reader that only groups and filters on them and writes them back as
    text, like the statistics; a join with a String column would refuse them)."""
    attesa = impronta(engine)
    path = percorso(settings)
    if path.exists() and _valida(path, attesa):
        letta = _leggi(path, codici_categorici=codici_categorici)
        if letta is not None:
            return letta.lazy()
    frame = leggi_prenotazioni(engine)
    scrivi(frame, settings, attesa)
    if codici_categorici:
        frame = frame.with_columns(pl.col(c).cast(pl.Categorical) for c in CODICI)
    return frame.lazy()


def leggi_se(settings: Settings, attesa: str, massimo_righe: int) -> pl.DataFrame | None:
    """The mirror as written under the impronta `attesa`, or None (missing, another
    impronta, more than `massimo_righe` rows, damaged): the incremental check's picture of
    the register at its last run."""
    path = percorso(settings)
    if not (path.exists() and _valida(path, attesa)):
        return None
    try:
        if pq.ParquetFile(path).metadata.num_rows > massimo_righe:
            return None
    except (OSError, pa.ArrowException):
        return None
    return _leggi(path)
