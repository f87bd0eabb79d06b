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

**Layout: a Hive-partitioned dataset**, so that a region can point an existing engine
(DuckDB, Spark, Trino) at the union of its authorities' mirrors (docs/scala.md, §"Oltre una
macchina")::

    <data_dir>/colonnare/prenotazioni/ente=<codice_ente>/anno=<AAAA>/parte-0.parquet

- `ente` is the setting `codice_ente` (path-safe; derived from `ente` when unset), one
  directory per mirror: the union of several authorities' datasets is itself partitioned;
- `anno` is the year of `data_prenotazione`, the date `registro stats --period` filters on
  (ex ante), so a query on a year reads one partition; a booking without that date goes to
  `anno=__HIVE_DEFAULT_PARTITION__`, which DuckDB, Spark and Trino read as a null `anno`.
  A register without bookings is one empty file there (it still carries the impronta);
- the files hold exactly the columns of `registro.letture.SCHEMA_LETTURA` (the partition
  columns are in the paths only, as Hive wants), every page with its CRC, and the footer of
  every file carries the impronta and the list of the dataset's files (`registro_parti`):
  a file missing, added or replaced by another dataset's is seen, not silently left out
  of the sums.

DuckDB, over two authorities' mirrors (the types of the partition columns given, so that a
numeric code such as `080101` stays text)::

    SELECT * FROM read_parquet(['a/colonnare/prenotazioni/*/*/*.parquet',
        'b/colonnare/prenotazioni/*/*/*.parquet'], hive_partitioning = true,
        hive_types = {'ente': 'VARCHAR', 'anno': 'INTEGER'})

**Replacement stays atomic for readers.** `prenotazioni` is a symbolic link to a hidden
sibling directory holding one version of the dataset (`.prenotazioni-<pid>-<ns>`). A writer
builds the new version in `<that>.tmp`, renames it without the suffix, then points a new
link at it and puts the link in place with `os.replace` (one rename). A reader resolves the
link once and reads the files of that version only, so it never mixes two versions; the
version the link left is kept until the next replacement (a reader that resolved it just
before is not cut off), older ones are removed, and so is a `.tmp` left by a crash after a
day. Should a reader still find its version gone, it reads the database, as for any damage.
A real directory in place of the link (a copy that followed links) is read just the same
and replaced at the next write.

The incremental check (registro.check_incrementale) trusts only the dataset the last check
wrote: `Scrittore.chiudi()` returns a digest over the dataset's files (their sorted relative
paths and each file's SHA-256), which the check records in `verifica.copia_sha256`. It
updates the mirror rather than rewriting it (`Scrittore.aggiorna`): a year the delta did not
touch keeps its file's data pages, byte for byte, under a new footer (the new impronta and
file list), so every file still says which register it belongs to; only the years touched
are encoded again. The new version is still a whole directory swapped in by the link.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from registro.checksum import sha256_file
from registro.letture import leggi_prenotazioni
from registro.settings import Settings

log = logging.getLogger("registro.colonnare")

CHIAVE_METADATI = "registro_impronta"


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
"""Every page carries its CRC: a page damaged in the middle of a file (footer intact, so
the impronta still matches) is caught on read instead of decoding into wrong numbers."""

CHIAVE_PARTI = "registro_parti"
PARTIZIONE_NULLA = "__HIVE_DEFAULT_PARTITION__"
"""The Hive name of a null partition value (Hive, Spark, DuckDB and Trino read it so)."""
COLONNA_ANNO = "data_prenotazione"
NOME_PARTE = "parte-0.parquet"
PREFISSO_VERSIONE = ".prenotazioni-"
ETA_TMP_ABBANDONATO_S = 86_400


def cartella(settings: Settings) -> Path:
    return Path(settings.data_dir) / "colonnare"


def percorso(settings: Settings) -> Path:
    """The dataset's root, as a region points its engine at it (the link)."""
    return cartella(settings) / "prenotazioni"


def parti(radice: Path) -> list[Path]:
    """The dataset's Parquet files under `radice`, sorted."""
    return sorted(radice.glob("ente=*/anno=*/*.parquet"))


def _relativo(file: Path, radice: Path) -> str:
    return file.relative_to(radice).as_posix()


def digest(radice: Path) -> str | None:
    """What identifies the dataset's bytes: its files' sorted relative paths, each with its
    SHA-256; None when it holds no file."""
    files = parti(radice)
    if not files:
        return None
    h = hashlib.sha256()
    for f in files:
        h.update(f"{_relativo(f, radice)}\0{sha256_file(f)}\n".encode())
    return h.hexdigest()


def _partizione(anno: int | None) -> str:
    return f"anno={PARTIZIONE_NULLA if anno is None else f'{anno:04d}'}"


def scrivi(frame: pl.DataFrame, settings: Settings, impronta_: str) -> Path | None:
    """Replace the mirror atomically; a failure to write (read-only data_dir, full disk) is
    logged and costs only speed, never correctness."""
    with Scrittore(settings) as copia:
        copia.impronta = impronta_
        copia.aggiungi(frame)
        copia.conferma()
        return None if copia.guasto else copia.link


class Scrittore:
    """The mirror written a pass at a time (`registro check`): each pass's bookings go, year
    by year, as row groups into one file per partition of a new version of the dataset,
    which replaces the old one only on `conferma()` (see the module's docstring): the
    check's memory follows its pass, and a failed check leaves the previous mirror (whose
    impronta then tells)."""

    def __init__(self, settings: Settings) -> None:
        self.cartella = cartella(settings)
        self.link = percorso(settings)
        self.codice = settings.codice_ente
        self.nome = f"{PREFISSO_VERSIONE}{os.getpid()}-{time.time_ns()}"
        self.tmp = self.cartella / f"{self.nome}.tmp"
        self.impronta = ""
        self.guasto = False
        self._schema: pa.Schema | None = None
        self._writers: dict[int | None, Any] = {}
        self._riusate: dict[int | None, Path] = {}
        self._chiuso = False

    def __enter__(self) -> Scrittore:
        return self

    def _writer(self, anno: int | None) -> Any:
        if anno not in self._writers:
            assert self._schema is not None
            dir_ = self.tmp / f"ente={self.codice}" / _partizione(anno)
            dir_.mkdir(parents=True)
            self._writers[anno] = pq.ParquetWriter(dir_ / NOME_PARTE, self._schema,
                                                   **OPZIONI_SCRITTURA)
        return self._writers[anno]

    def _prepara(self, frame: pl.DataFrame) -> None:
        if self._schema is None:
            self.tmp.mkdir(parents=True)
            self._schema = frame.head(0).to_arrow().schema.with_metadata(
                {CHIAVE_METADATI: self.impronta})

    @staticmethod
    def _per_anno(frame: pl.DataFrame) -> Iterator[tuple[int | None, pl.DataFrame]]:
        """The frame's rows year by year, in their order, years in order of appearance (the
        frame itself when it holds one year, as a pass of a one-year register does).

        When the rows come in a few runs of one year each (the incremental check's register:
        the mirror read partition after partition, then the delta sorted by year) a year is
        its runs' slices, no copy (filtering a million rows of twenty columns costs more than
        finding the runs); otherwise one filtered copy per year."""
        anno = pl.col(COLONNA_ANNO).dt.year()
        corse = frame.select(anno.rle()).unnest(COLONNA_ANNO)
        anni = list(dict.fromkeys(corse["value"].to_list()))
        if len(anni) == 1:
            yield anni[0], frame
            return
        if corse.height > 4 * len(anni) + 4:
            for a in anni:
                yield a, frame.filter(anno.eq_missing(a))
            return
        fette: dict[int | None, list[pl.DataFrame]] = {a: [] for a in anni}
        inizio = 0
        for valore, lunghezza in corse.select("value", "len").iter_rows():
            fette[valore].append(frame.slice(inizio, lunghezza))
            inizio += lunghezza
        for a in anni:
            yield a, pl.concat(fette[a], rechunk=False)

    def _scrivi(self, anno: int | None, parte: pl.DataFrame) -> None:
        assert self._schema is not None
        tabella = parte.to_arrow()
        if not tabella.schema.equals(self._schema, check_metadata=False):
            # only when the types differ: `cast` imports pyarrow.compute (≈ 0.1 s)
            tabella = tabella.cast(self._schema)
        self._writer(anno).write_table(tabella)

    def aggiungi(self, frame: pl.DataFrame) -> None:
        if self.guasto:
            return
        try:
            self._prepara(frame)
            for anno, parte in self._per_anno(frame):
                self._scrivi(anno, parte)
        except OSError as exc:
            self._abbandona(exc)

    def aggiorna(self, frame: pl.DataFrame, precedente: Path, toccati: set[int | None]
                 ) -> None:
        """The whole register `frame` (the incremental check's), where the years not in
        `toccati` hold exactly the rows of their partition in `precedente`, the version the
        check started from: those files are kept, their data bytes as they are (only the
        footer is written anew at `chiudi()`, with this impronta and file list: ≈ 1/20 of
        encoding them again); the years touched are written from `frame`. A file that
        cannot be taken (the version removed meanwhile by a reader's rebuild) is written
        from `frame` too."""
        if self.guasto:
            return
        try:
            self._prepara(frame)
            for anno, parte in self._per_anno(frame):
                if anno in toccati or not self._riusa(precedente, anno, parte.height):
                    self._scrivi(anno, parte)
        except OSError as exc:
            self._abbandona(exc)

    def _riusa(self, precedente: Path, anno: int | None, righe: int) -> bool:
        """A hard link to the previous version's file (a file is never changed in place, and
        the link keeps it should that version be removed before `chiudi()`)."""
        origine = precedente / f"ente={self.codice}" / _partizione(anno) / NOME_PARTE
        link = self.tmp / f".riuso-{_partizione(anno)}"
        try:
            os.link(origine, link)
            if pq.read_metadata(link).num_rows == righe:
                self._riusate[anno] = link
                return True
        except (OSError, ValueError, pa.ArrowException):
            pass
        link.unlink(missing_ok=True)
        return False

    def chiudi(self) -> str | None:
        """Finish the files without putting the dataset in place: its digest (None when
        none was written), which the check records in its own transaction before
        `conferma()`."""
        if self._chiuso or self.guasto or self._schema is None:
            return None
        try:
            if not self._writers and not self._riusate:
                self._writer(None)  # no booking: an empty file still carries the impronta
            elenco = json.dumps(sorted(f"ente={self.codice}/{_partizione(a)}/{NOME_PARTE}"
                                       for a in {*self._writers, *self._riusate}))
            for writer in self._writers.values():
                writer.add_key_value_metadata({CHIAVE_PARTI: elenco})
                writer.close()
            self._writers = {}
            for anno, link in self._riusate.items():
                dir_ = self.tmp / f"ente={self.codice}" / _partizione(anno)
                dir_.mkdir(parents=True)
                _rinnova_piede(link, dir_ / NOME_PARTE,
                               {CHIAVE_METADATI: self.impronta, CHIAVE_PARTI: elenco})
                link.unlink()
            self._riusate = {}
            self._chiuso = True
            return digest(self.tmp)
        except (OSError, ValueError, pa.ArrowException) as exc:
            self._abbandona(exc)
            return None

    def conferma(self) -> None:
        if self._schema is None or self.guasto:
            return
        if not self._chiuso:
            self.chiudi()
            if self.guasto:
                return
        try:
            precedente = os.readlink(self.link) if self.link.is_symlink() else None
            os.rename(self.tmp, self.cartella / self.nome)
            if self.link.is_dir() and not self.link.is_symlink():
                os.rename(self.link, self.cartella / f"{self.nome}-sostituita")
            nuovo = self.cartella / f"{self.nome}.link"
            os.symlink(self.nome, nuovo, target_is_directory=True)
            os.replace(nuovo, self.link)
        except OSError as exc:
            self._abbandona(exc)
            shutil.rmtree(self.cartella / self.nome, ignore_errors=True)
            return
        self._pulisci({self.nome, *([precedente] if precedente else [])})

    def _pulisci(self, tenute: set[str]) -> None:
        """Older versions, abandoned builds and the single-file mirror of earlier releases."""
        (self.cartella / "prenotazione.parquet").unlink(missing_ok=True)
        adesso = time.time()
        for voce in self.cartella.iterdir():
            if not voce.name.startswith(PREFISSO_VERSIONE) or voce.name in tenute:
                continue
            try:
                if voce.name.endswith(".tmp") and (
                        adesso - voce.stat().st_mtime < ETA_TMP_ABBANDONATO_S):
                    continue  # perhaps another writer's build in progress
                if voce.is_symlink() or not voce.is_dir():
                    voce.unlink()
                else:
                    shutil.rmtree(voce)
            except OSError as exc:
                log.warning("copia colonnare: %s non rimossa (%s)", voce.name, exc)

    def _abbandona(self, exc: Exception) -> None:
        log.warning("copia colonnare non scritta (%s): le letture useranno il database", exc)
        self.guasto = True
        self._chiudi()

    def _chiudi(self) -> None:
        for writer in self._writers.values():
            with contextlib.suppress(OSError):
                writer.close()
        self._writers = {}
        self._riusate = {}
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __exit__(self, *_exc: object) -> None:
        self._chiudi()


def _rinnova_piede(origine: Path, dest: Path, metadati: dict[str, str]) -> None:
    """`origine` copied to `dest` with another key-value metadata: the data pages (and their
    checksums) byte for byte, then a footer with the same row groups, whose offsets still
    hold, written by pyarrow itself (`write_metadata` of the file's own metadata)."""
    with pq.ParquetFile(origine) as pf:
        schema = pf.schema_arrow.with_metadata(metadati)
        piede = dest.with_name(".piede.tmp")
        try:
            pq.write_metadata(schema, piede, metadata_collector=[pf.metadata])
            nuovo = piede.read_bytes()
        finally:
            piede.unlink(missing_ok=True)
    with open(origine, "rb") as src, open(dest, "wb") as dst:
        src.seek(-8, os.SEEK_END)
        corpo = src.tell() - int.from_bytes(src.read(4), "little")
        src.seek(0)
        while corpo > 0:
            blocco = src.read(min(corpo, 1 << 20))
            if not blocco:
                raise OSError(f"{origine}: più corto del previsto")
            dst.write(blocco)
            corpo -= len(blocco)
        dst.write(nuovo[4:])  # without the leading magic: the body already has it


def istantanea(settings: Settings) -> Path | None:
    """The version of the dataset the link points at now (resolved once: what a reader
    reads, even should the link be replaced meanwhile); None when there is none."""
    radice = Path(os.path.realpath(percorso(settings)))
    return radice if radice.is_dir() else None


def _valida(radice: Path, attesa: str, codice: str) -> list[Path] | None:
    """The dataset's files when every one carries the impronta `attesa`, lies under this
    authority's `ente=` and lists exactly the files present; None otherwise."""
    files = parti(radice)
    if not files:
        return None
    presenti = json.dumps(sorted(_relativo(f, radice) for f in files))
    try:
        for f in files:
            if f.parent.parent.name != f"ente={codice}":
                return None
            meta = pq.read_metadata(f).metadata or {}
            if (meta.get(CHIAVE_METADATI.encode()) != attesa.encode()
                    or meta.get(CHIAVE_PARTI.encode()) != presenti.encode()):
                return None
    except (OSError, ValueError, pa.ArrowException):
        return None
    return files


CODICI = ("codice_prestazione", "codice_sede", "classe_priorita", "tipo_accesso", "stato",
          "tipo")
"""The columns the statistics group and filter on: a few hundred distinct values each, so a
reader that asks for them dictionary-coded gets polars Categoricals straight from the
Parquet dictionary pages, and groups on integers instead of hashing strings."""


def _leggi(files: list[Path], *, codici_categorici: bool = False,
           colonne: list[str] | None = None) -> pl.DataFrame | None:
    """The dataset read whole, every page's checksum verified; None when it cannot be read.

    The single place where the mirror is read: any damage (truncated, bytes changed in the
    middle, not Parquet at all, a file gone) shows here as an error and is answered by a
    rebuild, rather than surfacing later in a consumer's `collect()` as a traceback or a
    500. The partition columns are not read (they are in the paths): the frame has the
    schema `SCHEMA_LETTURA`, partitions in year order, rows as written within each.

    Through `ParquetFile`, not `pq.read_table`: the latter goes through pyarrow.dataset,
    whose import pulls in pandas (≈ 0.2 s of every `registro stats`).

    `colonne`: only those are read (the others' pages are neither read nor verified): a
    reader of ten columns out of thirty holds a third of the register."""
    dizionario = list(CODICI) if codici_categorici else None
    try:
        tabelle = [pq.ParquetFile(f, page_checksum_verification=True,
                                  read_dictionary=dizionario).read(columns=colonne)
                   for f in files]
        frame = pl.from_arrow(pa.concat_tables(tabelle))
        # polars copied the text out of Arrow's buffers: give what Arrow's pool freed back
        # to the system, or it stays in the process beside polars' own heap (at 5 M
        # bookings ≈ 0.25 GB for the rest of a `registro monitoring`)
        del tabelle
        pa.default_memory_pool().release_unused()
    except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        motivo = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("copia colonnare illeggibile (%s): ricostruita dal database", motivo)
        return None
    assert isinstance(frame, pl.DataFrame)
    return frame


def prenotazioni(engine: Engine, settings: Settings, *, codici_categorici: bool = False,
                 colonne: list[str] | None = None) -> pl.LazyFrame:
    """The current bookings with `tipo` (schema `registro.letture.SCHEMA_LETTURA`), lazily:
    from the mirror when it matches the database and reads back sound, otherwise from the
    database (and the mirror is rebuilt). `codici_categorici`: the columns `CODICI` as
    Categorical (for a reader that only groups and filters on them and writes them back as
    text, like the statistics; a join with a String column would refuse them). `colonne`:
    only those columns, in that order; the memory of a reader that needs a few of them is
    that of those few (the mirror is read eagerly, so a later `select` would come too late:
    at 5 M bookings the public site held all thirty columns, 2.8 GB at peak)."""
    attesa = impronta(engine)
    radice = istantanea(settings)
    files = None if radice is None else _valida(radice, attesa, settings.codice_ente)
    if files is not None:
        letta = _leggi(files, codici_categorici=codici_categorici, colonne=colonne)
        if letta is not None:
            return letta.lazy()
    frame = leggi_prenotazioni(engine)
    scrivi(frame, settings, attesa)
    if colonne is not None:
        frame = frame.select(colonne)
    if codici_categorici:
        frame = frame.with_columns(pl.col(c).cast(pl.Categorical) for c in CODICI)
    return frame.lazy()


class Letta(NamedTuple):
    prenotazioni: pl.DataFrame
    radice: Path
    """The version read (what `Scrittore.aggiorna` takes unchanged partitions from)."""


def leggi_se(settings: Settings, attesa: str, massimo_righe: int, digest_atteso: str
             ) -> Letta | None:
    """The mirror the last check wrote, or None (missing, bytes other than those of digest
    `digest_atteso`, another impronta, more than `massimo_righe` rows, damaged): the
    incremental check's picture of the register at its last run."""
    radice = istantanea(settings)
    if radice is None:
        return None
    try:
        if digest(radice) != digest_atteso:
            return None
    except OSError:
        return None
    files = _valida(radice, attesa, settings.codice_ente)
    if files is None:
        return None
    try:
        if sum(pq.read_metadata(f).num_rows for f in files) > massimo_righe:
            return None
    except (OSError, ValueError, pa.ArrowException):
        return None
    # The digest above has just read every byte of these files and found those the last
    # check wrote: polars' own reader may take them without the page checksums, six times
    # faster than through pyarrow and with no Arrow copy beside the frame (at 5 M bookings
    # 0.4 s and 1.2 GB at peak against 2.3 s and 1.9 GB).
    try:
        letta = pl.read_parquet(files, hive_partitioning=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        log.warning("copia colonnare illeggibile (%s): verifica completa", exc)
        return None
    return Letta(letta, radice)
