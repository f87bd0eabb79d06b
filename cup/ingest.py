"""Ingest of a CUP export (either register): read -> map -> validate -> merge, all or nothing.

Guarantees (DESIGN.md, "Data"): a file that cannot be read at all is refused and nothing is
written; otherwise valid rows land and every invalid row goes to `scarto` and to a rejects
CSV; versions are ordered by `aggiornato_il` (an older version never overwrites a newer one)
and every version is kept (the current one in `prenotazione`, the ones it superseded in
`prenotazione_storia`); the same file twice changes nothing.
What the register received is archived: the rows after column selection and
pseudonymisation (never the original, which may carry codici fiscali in clear and columns
the mapping drops), with the original's SHA-256 and size. The merge is set-based SQL over a
staging table loaded through ADBC, in one transaction: a crash leaves the register as it was.
Everything written under the data folder is owner-only (registro.riservato).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from cup import pseudonimi
from cup.mapping import Mapping
from cup.readers import RIGA, RIGHE_PER_LOTTO, Limiti, apri, nessuna_riga
from cup.schema import (
    IMPORTO_MASSIMO,
    PRENOTAZIONI,
    TRACCIATI,
    Tracciato,
    colonne_mancanti,
    valida,
)
from registro import blocco, db, riservato
from registro.checksum import sha256_file
from registro.csvsafe import neutralizza
from registro.db import IndiciSecondari
from registro.errors import ErroreUtente
from registro.models import IngestRun, Prestazione
from registro.settings import Settings

GREZZO_MAX = 500
FALLITO = "fallito"
"""`ingest_run.stato` of a run that did not complete (its `errore` says why)."""


def contenuto(t: Tracciato) -> list[str]:
    """The columns that make a version: everything the export says but the key."""
    return [c for c in t.schema_valido if c != t.chiave]


def colonne_registro(t: Tracciato) -> list[str]:
    return [t.chiave, *contenuto(t), "versione_il", "ingest_run_id"]


def derivati(t: Tracciato) -> list[str]:
    """What `registro check` derives: reset whenever a newer version arrives."""
    proprie = set(colonne_registro(t))
    return [c.name for c in SQLModel.metadata.tables[t.tabella].columns if c.name not in proprie]


@dataclass
class EsitoIngest:
    """The summary: `registro ingest --json` prints exactly this object."""

    file: str
    righe: int
    accettate: int
    scartate: int
    nuove: int
    aggiornate: int
    invariate: int
    obsolete: int
    duplicate: int
    sedi_nuove: int
    pseudonimizzati: int
    file_scarti: str
    ingest_run_id: int
    sha256: str
    archiviato_in: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def cartella_upload(settings: Settings) -> Path:
    """Where API uploads are streamed to while being ingested (raw bytes: 0700, emptied
    after every request, leftovers of a killed server removed at the next start/ingest)."""
    return Path(settings.data_dir) / "upload"


def archivia(ricevuto: Path, path: Path, sha: str, settings: Settings,
             quando: datetime) -> Path:
    """Keep what the register received (the spill's `ricevuto.parquet`), by period of
    arrival, named by the original's checksum; the same file twice is archived once."""
    cartella = riservato.cartella(
        Path(settings.data_dir) / "archivio" / f"{quando:%Y}" / f"{quando:%m}")
    dest = cartella / f"{sha[:16]}-{path.stem}.parquet"
    if not dest.exists():
        riservato.file(ricevuto)
        ricevuto.replace(dest)
    return dest


@dataclass
class Preparato:
    """A file read, mapped, pseudonymised and validated, spilled to Parquet batch by batch
    (nothing of it in memory): `validi/*.parquet` typed rows with `_riga`, `scarti/*.parquet`
    reject lines with `grezzo`, `ricevuto.parquet` every row as text (the archive)."""

    cartella: Path
    righe: int
    accettate: int
    scartate: int
    pseudonimizzati: int

    def validi(self) -> list[Path]:
        return sorted((self.cartella / "validi").glob("*.parquet"))

    def scarti(self) -> list[Path]:
        return sorted((self.cartella / "scarti").glob("*.parquet"))

    @property
    def ricevuto(self) -> Path:
        return self.cartella / RICEVUTO


RICEVUTO = "ricevuto.parquet"


class _Archivio:
    """The rows received, batch by batch, into one zstd Parquet (readable by DuckDB and
    polars) whose key-value metadata names the original: file, SHA-256, bytes."""

    def __init__(self, dest: Path, originale: dict[str, str]) -> None:
        self.dest = dest
        self.originale = {f"registro.originale.{k}": v for k, v in originale.items()}
        self._writer: pq.ParquetWriter | None = None

    def scrivi(self, df: pl.DataFrame) -> None:
        tabella = df.rename({RIGA: "riga"}).to_arrow()
        tabella = tabella.cast(pa.schema([
            pa.field(f.name, pa.int64() if f.name == "riga" else pa.string())
            for f in tabella.schema]))
        if self._writer is None:
            schema = tabella.schema.with_metadata(self.originale)
            riservato.apri_privato(self.dest).close()  # born 0600; the writer truncates it
            self._writer = pq.ParquetWriter(str(self.dest), schema, compression="zstd")
        self._writer.write_table(tabella.cast(self._writer.schema))

    def chiudi(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextlib.contextmanager
def _chiuso(archivio: _Archivio | None) -> Iterator[None]:
    try:
        yield
    finally:
        if archivio is not None:
            archivio.chiudi()


def _grezzo(df: pl.DataFrame, scarti: pl.DataFrame, canoniche: tuple[str, ...]) -> pl.DataFrame:
    """The rejected line as received (its canonical fields, `;`-joined, truncated)."""
    presenti = [c for c in canoniche if c in df.columns]
    righe = df.join(scarti.select(pl.col(RIGA).unique()), on=RIGA, how="semi").select(
        pl.col(RIGA),
        pl.concat_str([pl.col(c).fill_null("") for c in presenti], separator=";")
        .str.slice(0, GREZZO_MAX).alias("grezzo"))
    return scarti.join(righe, on=RIGA, how="left")


def prepara_a_lotti(path: Path, mapping: Path | None, codici_catalogo: list[str], key: bytes,
                    cartella: Path, tracciato: Tracciato = PRENOTAZIONI,
                    righe_per_lotto: int = RIGHE_PER_LOTTO,
                    importo_massimo: Decimal = IMPORTO_MASSIMO,
                    limiti: Limiti | None = None,
                    originale: dict[str, str] | None = None) -> Preparato:
    """Read and validate a file batch by batch into `cartella`, without touching the
    database: memory is bounded by the batch, whatever the file's size.

    Each batch is pseudonymised right after mapping, before anything of it is written:
    the spill holds no codice fiscale, so a crash leaves none behind. With `originale`
    (file, sha256, byte) the rows received are also written to `ricevuto.parquet`.

    Raises ErroreUtente when the file cannot be read at all (then `cartella` holds nothing
    worth keeping and no database row was written)."""
    canoniche = tracciato.canoniche
    m = Mapping.carica(mapping, canoniche) if mapping else Mapping()
    riservato.cartella(cartella / "validi")
    riservato.cartella(cartella / "scarti")
    righe = accettate = scartate = n_cf = 0
    archivio = _Archivio(cartella / RICEVUTO, originale) if originale is not None else None
    with apri(path, righe_per_lotto, limiti) as sorgente, _chiuso(archivio):
        vuoto = pl.DataFrame(schema={**{c: pl.String for c in sorgente.colonne},
                                     RIGA: pl.Int64})
        mancanti = colonne_mancanti(m.applica(vuoto, canoniche, path).columns, tracciato)
        if mancanti:
            raise ErroreUtente(
                f"{path}: colonne obbligatorie assenti: {', '.join(mancanti)}"
                + ("" if mapping else " (serve un --mapping per questo tracciato?)")
                + "; nessun dato è stato scritto")
        for i, raw in enumerate(sorgente.lotti):
            df = m.applica(raw, canoniche, path)
            df, n = pseudonimi.pseudonimizza(df, "id_assistito", key)
            if archivio is not None:
                archivio.scrivi(df)
            validi, scarti = valida(df, codici_catalogo, tracciato, importo_massimo)
            with riservato.apri_privato(cartella / "validi" / f"{i:06d}.parquet") as fh:
                validi.write_parquet(fh, compression="lz4")
            if scarti.height:
                with riservato.apri_privato(cartella / "scarti" / f"{i:06d}.parquet") as fh:
                    _grezzo(df, scarti, canoniche).write_parquet(fh, compression="lz4")
            righe += df.height
            accettate += validi.height
            scartate += scarti[RIGA].n_unique()
            n_cf += n
    if righe == 0:
        raise nessuna_riga(path)
    return Preparato(cartella=cartella, righe=righe, accettate=accettate, scartate=scartate,
                     pseudonimizzati=n_cf)


def prepara(path: Path, mapping: Path | None, codici_catalogo: list[str], key: bytes,
            tracciato: Tracciato = PRENOTAZIONI) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """The whole file in memory (small files, tests): (valid rows, reject lines with
    `grezzo`, rows read, codici fiscali replaced)."""
    with tempfile.TemporaryDirectory(prefix="registro-prepara-") as tmp:
        p = prepara_a_lotti(path, mapping, codici_catalogo, key, Path(tmp), tracciato)
        validi = pl.concat([pl.read_parquet(f) for f in p.validi()], how="vertical")
        scarti = (pl.concat([pl.read_parquet(f) for f in p.scarti()], how="vertical")
                  if p.scarti() else _SCARTI_VUOTI)
    return validi, scarti, p.righe, p.pseudonimizzati


_SCARTI_VUOTI = pl.DataFrame(schema={RIGA: pl.Int64, "campo": pl.String, "valore": pl.String,
                                     "motivo": pl.String, "grezzo": pl.String})


def _stesso(a: str, b: str, sqlite: bool) -> str:
    return f"{a} IS {b}" if sqlite else f"{a} IS NOT DISTINCT FROM {b}"


def _uguali(sx: str, dx: str, colonne: list[str], sqlite: bool) -> str:
    return " AND ".join(_stesso(f"{sx}.{c}", f"{dx}.{c}", sqlite) for c in colonne)


def _ts(value: datetime) -> str:
    return value.strftime("'%Y-%m-%d %H:%M:%S.%f'")


def ingest(path: Path, *, engine: Engine, settings: Settings, mapping: Path | None = None,
           registro: str = "prestazioni", utente: str | None = None,
           progress: Callable[[str], None] | None = None,
           limiti: Limiti | None = None) -> EsitoIngest:
    """Ingest one export into `registro` (`prestazioni` or `ricoveri`).

    `limiti`: what the file may expand to; by default the settings `righe_massime_file` and
    `mb_massimi_decompressi` (the API passes its own, tighter ones).

    Raises ErroreUtente when the file cannot be read at all: then nothing is written."""
    say = progress or (lambda _msg: None)
    path = Path(path)
    if registro not in TRACCIATI:
        raise ErroreUtente(f"registro sconosciuto: {registro!r} "
                           f"(ammessi: {', '.join(TRACCIATI)})")
    t = TRACCIATI[registro]
    codici: list[str] = []
    if t.usa_catalogo:
        with db.session_scope(engine) as session:
            codici = list(session.exec(select(Prestazione.codice)).all())
        if not codici:
            raise ErroreUtente("il catalogo delle prestazioni è vuoto: eseguire prima "
                               "`registro init` (carica il catalogo nazionale) o "
                               "`registro catalogo import FILE.csv`")
    # The register's key, or a refusal before anything is read or written.
    key = pseudonimi.chiave(settings, engine)
    riservato.cartella(Path(settings.data_dir))
    riservato.rimuovi_abbandonate(cartella_upload(settings))
    lavoro = riservato.cartella(Path(settings.data_dir) / "lavoro")
    _pulisci(lavoro)
    # a missing file or a folder is refused by the reader, with its message
    sha = sha256_file(path) if path.is_file() else ""
    originale = {"file": path.name, "sha256": sha,
                 "byte": str(path.stat().st_size if sha else 0)}
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=lavoro) as tmp:
        _segna_processo(Path(tmp))
        say("lettura e validazione")
        prep = prepara_a_lotti(path, mapping, codici, key, Path(tmp),
                               t, settings.righe_per_lotto, settings.importo_massimo,
                               limiti or Limiti(settings.righe_massime_file,
                                                settings.mb_massimi_decompressi * 1024 * 1024),
                               originale=originale)
        return _scrivi(prep, path, sha, t, engine=engine, settings=settings, mapping=mapping,
                       utente=utente, say=say)


PROCESSO = "processo"
"""File in a spill folder naming its owner, `host pid`: tells a dead ingest's leftovers from
a live one's."""


def _segna_processo(cartella: Path) -> None:
    (cartella / PROCESSO).write_text(f"{socket.gethostname()} {os.getpid()}", encoding="utf-8")


def _vivo(contenuto: str) -> bool:
    """Is the process named `host pid` alive? Another host's process is taken as alive."""
    host, _, pid = contenuto.strip().rpartition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _pulisci(lavoro: Path, eta_massima: float = 86_400) -> None:
    """Remove spill folders a killed ingest left behind: at once when the process that
    made it is gone, else after a day (a folder of another host, or of a version that did
    not name its process)."""
    limite = time.time() - eta_massima
    for cartella in lavoro.glob("ingest-*"):
        if not cartella.is_dir():
            continue
        try:
            morto = not _vivo((cartella / PROCESSO).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            morto = False
        if morto or cartella.stat().st_mtime < limite:
            shutil.rmtree(cartella, ignore_errors=True)


def _scrivi(prep: Preparato, path: Path, sha: str, t: Tracciato, *, engine: Engine,
            settings: Settings, mapping: Path | None, utente: str | None,
            say: Callable[[str], None]) -> EsitoIngest:
    """The batches into a staging table, then the set-based merge: one transaction."""
    inizio = datetime.now()
    archivio = archivia(prep.ricevuto, path, sha, settings, inizio)
    run: dict[str, object] = {"registro": t.registro, "file": str(path), "sha256": sha,
           "archiviato_in": str(archivio), "mapping": str(mapping) if mapping else None,
           "utente": utente, "iniziato_il": inizio, "righe": prep.righe,
           **dict.fromkeys(("accettate", "scartate", "nuove", "aggiornate", "invariate",
                            "obsolete", "duplicate", "sedi_nuove"), 0)}
    try:
        esito = _unisci(prep, path, t, run, engine=engine, settings=settings, say=say)
    except BaseException as exc:
        # The merge's transaction is rolled back: the run is recorded as failed, with why,
        # in a transaction of its own (a run is never left "in corso").
        _registra_fallito(engine, run, exc)
        if isinstance(exc, ErroreUtente) or not isinstance(exc, Exception):
            raise
        if _errore_dati(exc):
            raise ErroreUtente(f"{path}: il database ha rifiutato i dati "
                               f"({_prima_riga(exc)}); nessun dato è stato scritto") from exc
        raise
    esito.file_scarti = str(_scrivi_scarti(prep.scarti(), path, esito.ingest_run_id, settings))
    return esito


def _prima_riga(exc: BaseException) -> str:
    testo = str(exc).strip()
    return testo.splitlines()[0][:300] if testo else type(exc).__name__


def _errore_dati(exc: BaseException) -> bool:
    """A value the database refuses (a NUL the readers missed, a number out of range): the
    file's fault, not a bug, and nothing of it was written."""
    nome = type(exc).__name__
    return ("DataError" in nome or "InvalidParameter" in nome
            or ("ProgrammingError" in nome and "0x00" in str(exc)))


def _registra_fallito(engine: Engine, run: dict[str, object], exc: BaseException) -> None:
    """Record a failed run (best effort: if the database itself is gone, nothing can be)."""
    motivo = "interrotto" if not isinstance(exc, Exception) else _prima_riga(exc)
    try:
        with db.session_scope(engine) as session:
            session.add(IngestRun(**run, stato=FALLITO,  # type: ignore[arg-type]
                                  finito_il=datetime.now(), errore=motivo[:2000]))
            session.commit()
    except Exception:
        pass


def _chiudi_interrotti(conn: object) -> None:
    """Mark as failed the runs left "in corso" by a process that died (kill -9, power cut).

    Called holding the register-wide write lock. A run's row is written inside the
    transaction that holds that lock and merges its file, and is "completato" before that
    transaction commits: so a committed row still "in corso" seen while we hold the lock
    belongs to no live process (registers written by earlier versions, which committed the
    row first, may hold some)."""
    db.execute(conn, f"""
        UPDATE ingest_run SET stato = '{FALLITO}', finito_il = {_ts(datetime.now())},
          errore = 'interrotto: il processo è terminato prima della fine del caricamento'
        WHERE stato = 'in_corso'""")


def _unisci(prep: Preparato, path: Path, t: Tracciato, run: dict[str, object], *,
            engine: Engine, settings: Settings, say: Callable[[str], None]) -> EsitoIngest:
    inizio = run["iniziato_il"]
    assert isinstance(inizio, datetime)
    sha, archivio = str(run["sha256"]), str(run["archiviato_in"])
    say("scrittura nel registro")
    colonne = colonne_registro(t)
    sqlite = db.is_sqlite(engine)
    key = t.chiave
    with db.adbc_connection(engine) as conn:
        blocco.prendi(conn, f"ingest {sha[:16]}")
        _chiudi_interrotti(conn)
        run_id = _inserisci_run(conn, run)
        tabella = f"stage_{t.tabella}_{run_id}"
        vuota = _una_riga_o_niente(conn, f"SELECT 1 FROM {t.tabella} LIMIT 1") is None
        indici = IndiciSecondari.leggi(conn, t.tabella, sqlite) if vuota else IndiciSecondari()
        indici.togli(conn)
        if vuota and _chiavi_uniche(prep, key):
            nuove, sedi_nuove = _primo_carico(conn, prep, t, colonne, run_id, inizio, engine)
            invariate = obsolete = duplicate = aggiornate = 0
        else:
            nuove, invariate, obsolete, aggiornate, duplicate, sedi_nuove = _fondi(
                conn, prep, t, tabella, colonne, run_id, inizio, vuota, engine)
        indici.ricrea(conn)
        for lotto in prep.scarti():
            scarti_db = pl.read_parquet(lotto).select(
                pl.lit(run_id, dtype=pl.Int64).alias("ingest_run_id"),
                pl.lit(str(path)).alias("file"),
                pl.col(RIGA).alias("riga"), "campo", "valore", "motivo", "grezzo")
            db.write_frame(conn, "scarto", scarti_db, engine)
        db.execute(conn, f"""
            UPDATE ingest_run SET stato = 'completato', finito_il = {_ts(datetime.now())},
              accettate = {prep.accettate}, scartate = {prep.scartate}, nuove = {nuove},
              aggiornate = {aggiornate}, invariate = {invariate}, obsolete = {obsolete},
              duplicate = {duplicate}, sedi_nuove = {sedi_nuove}
            WHERE id = {run_id}""")
        conn.commit()

    return EsitoIngest(
        file=str(path), righe=prep.righe, accettate=prep.accettate, scartate=prep.scartate,
        nuove=nuove, aggiornate=aggiornate, invariate=invariate, obsolete=obsolete,
        duplicate=duplicate, sedi_nuove=sedi_nuove, pseudonimizzati=prep.pseudonimizzati,
        file_scarti="", ingest_run_id=run_id, sha256=sha,
        archiviato_in=str(archivio))


def _fondi(conn: object, prep: Preparato, t: Tracciato, tabella: str, colonne: list[str],
           run_id: int, inizio: datetime, vuota: bool, engine: Engine
           ) -> tuple[int, int, int, int, int, int]:
    """The file merged into the register through a staging table: the later version of a
    key repeated in the file wins, versions are compared with the register's, the superseded
    ones go to the history. (nuove, invariate, obsolete, aggiornate, duplicate, sedi_nuove)"""
    sqlite = db.is_sqlite(engine)
    key = t.chiave
    cols = ", ".join(colonne)
    s_cols = ", ".join(f"s.{c}" for c in colonne)
    p_cols = ", ".join(f"p.{c}" for c in colonne)
    same = _uguali("s", "p", contenuto(t), sqlite)
    in_storia_p = _uguali("h", "p", contenuto(t), sqlite)
    in_storia_s = _uguali("h", "s", contenuto(t), sqlite)
    ripetuta = _uguali("s2", "s", contenuto(t), sqlite)
    for i, lotto in enumerate(prep.validi()):
        stage = pl.read_parquet(lotto).with_columns(
            versione_il=pl.coalesce(pl.col("aggiornato_il"), pl.lit(inizio)),
            ingest_run_id=pl.lit(run_id, dtype=pl.Int64),
            _vince=pl.lit(1, dtype=pl.Int64),
        ).select([*colonne, RIGA, "_vince"])
        # stored as the register's rows are (on SQLite the bookings' date-times are
        # integers, `registro.istanti`): the merge compares and copies them as they are
        db.write_frame(conn, tabella, stage, engine, mode="create" if i == 0 else "append",
                       temporanea=True, come=t.tabella)
    db.execute(conn, f"CREATE INDEX ix_{tabella} ON {tabella} ({key}, versione_il, {RIGA})")
    # Within one file the later version wins (latest aggiornato_il, then line number):
    # only keys that occur more than once are looked at.
    db.execute(conn, f"""
        UPDATE {tabella} SET _vince = 0 WHERE {RIGA} IN (
          SELECT s.{RIGA} FROM {tabella} s
          JOIN (SELECT {key} FROM {tabella} GROUP BY {key} HAVING COUNT(*) > 1) d
            ON d.{key} = s.{key}
          WHERE EXISTS (SELECT 1 FROM {tabella} s2 WHERE s2.{key} = s.{key}
                        AND (s2.versione_il > s.versione_il
                             OR (s2.versione_il = s.versione_il
                                 AND s2.{RIGA} > s.{RIGA}))))""")
    duplicate = int(str(_una_riga(
        conn, f"SELECT COUNT(*) FROM {tabella} WHERE _vince = 0")[0]))
    counts = _una_riga(conn, f"""
        SELECT
          COALESCE(SUM(CASE WHEN p.{key} IS NULL THEN 1 ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN p.{key} IS NOT NULL AND ({same})
                       THEN 1 ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN p.{key} IS NOT NULL AND NOT ({same})
                       AND s.versione_il < p.versione_il THEN 1 ELSE 0 END), 0)
        FROM {tabella} s LEFT JOIN {t.tabella} p ON p.{key} = s.{key}
        WHERE s._vince = 1""")
    nuove, invariate, obsolete = (int(str(x)) for x in counts)
    aggiornate = (prep.accettate - duplicate) - nuove - invariate - obsolete
    sedi_nuove = _sedi_nuove(conn, t, tabella)
    # Every version ever received, once: the current one in the register, the ones it
    # superseded in the history (same content and same aggiornato_il is the same version
    # whatever the file it came in). First the current versions this file supersedes...
    if not vuota:
        db.execute(conn, f"""
            INSERT INTO {t.storia} ({cols})
            SELECT {p_cols} FROM {tabella} s JOIN {t.tabella} p ON p.{key} = s.{key}
            WHERE s._vince = 1 AND NOT ({same}) AND s.versione_il >= p.versione_il
              AND NOT EXISTS (SELECT 1 FROM {t.storia} h
                              WHERE h.{key} = p.{key} AND {in_storia_p})""")
    # ...then the file's versions that do not become current: the later lines it
    # overrode and the versions older than the register's, each once.
    db.execute(conn, f"""
        INSERT INTO {t.storia} ({cols})
        SELECT {s_cols} FROM {tabella} s
        WHERE (s._vince = 0 OR EXISTS (SELECT 1 FROM {t.tabella} p WHERE p.{key} = s.{key}
                                       AND s.versione_il < p.versione_il))
          AND NOT EXISTS (SELECT 1 FROM {tabella} s2 WHERE s2.{key} = s.{key}
                          AND s2.{RIGA} > s.{RIGA} AND {ripetuta})
          AND NOT EXISTS (SELECT 1 FROM {t.tabella} p WHERE p.{key} = s.{key} AND {same})
          AND NOT EXISTS (SELECT 1 FROM {t.storia} h
                          WHERE h.{key} = s.{key} AND {in_storia_s})""")
    aggiorna = ", ".join(f"{c} = excluded.{c}" for c in colonne[1:])
    azzera = ", ".join(f"{c} = NULL" for c in derivati(t))
    # In key order: the key's B-tree is filled by appending, its pages full.
    db.execute(conn, f"""
        INSERT INTO {t.tabella} ({cols})
        SELECT {s_cols} FROM {tabella} s
        LEFT JOIN {t.tabella} p ON p.{key} = s.{key}
        WHERE s._vince = 1 AND (p.{key} IS NULL
              OR (NOT ({same}) AND s.versione_il >= p.versione_il))
        ORDER BY s.{key}
        ON CONFLICT ({key}) DO UPDATE SET {aggiorna}, {azzera}""")
    db.execute(conn, f"DROP TABLE {tabella}")
    return nuove, invariate, obsolete, aggiornate, duplicate, sedi_nuove


def _sedi_nuove(conn: object, t: Tracciato, tabella: str) -> int:
    """The site (or ward) codes of `tabella` the register does not know yet, added to its
    list as to be completed; how many."""
    anagrafica, col_codice = t.anagrafica
    nuove = int(str(_una_riga(conn, f"""
        SELECT COUNT(DISTINCT s.{col_codice}) FROM {tabella} s
        WHERE NOT EXISTS (SELECT 1 FROM {anagrafica} x
                          WHERE x.codice = s.{col_codice})""")[0]))
    db.execute(conn, f"""
        INSERT INTO {anagrafica} (codice, nome, da_completare)
        SELECT DISTINCT s.{col_codice}, s.{col_codice}, TRUE FROM {tabella} s
        WHERE NOT EXISTS (SELECT 1 FROM {anagrafica} x WHERE x.codice = s.{col_codice})
        ON CONFLICT (codice) DO NOTHING""")
    return nuove


def _chiavi_uniche(prep: Preparato, key: str) -> bool:
    """No key twice in the file (read from the spilled batches, the key column only)."""
    lotti = prep.validi()
    if not lotti:
        return True
    conta = pl.scan_parquet(lotti).select(
        n=pl.len(), distinte=pl.col(key).n_unique()).collect().row(0)
    return bool(conta[0] == conta[1])


def _primo_carico(conn: object, prep: Preparato, t: Tracciato, colonne: list[str],
                  run_id: int, inizio: datetime, engine: Engine) -> tuple[int, int]:
    """A file with every key once into an empty register: each row is a new booking, and
    no version is superseded, so the batches go straight into the table (each sorted by key,
    so that the key's B-tree grows by appending) without the staging table, its index and
    the comparisons of `_fondi` (at 5 M bookings those cost ≈ 25 s of a 72 s load). Only the
    new site or ward codes go through a small table. (nuove, sedi_nuove)"""
    col_codice = t.anagrafica[1]
    nuove = 0
    codici: list[pl.DataFrame] = []
    for lotto in prep.validi():
        righe = pl.read_parquet(lotto).with_columns(
            versione_il=pl.coalesce(pl.col("aggiornato_il"), pl.lit(inizio)),
            ingest_run_id=pl.lit(run_id, dtype=pl.Int64),
        ).select(colonne).sort(t.chiave)
        nuove += db.write_frame(conn, t.tabella, righe, engine)
        codici.append(righe.select(col_codice).unique())
    tabella = f"stage_codici_{t.tabella}_{run_id}"
    db.write_frame(conn, tabella, pl.concat(codici).unique() if codici else
                   pl.DataFrame(schema={col_codice: pl.String}), engine, mode="create",
                   temporanea=True)
    sedi_nuove = _sedi_nuove(conn, t, tabella)
    db.execute(conn, f"DROP TABLE {tabella}")
    return nuove, sedi_nuove


def _inserisci_run(conn: object, run: dict[str, object]) -> int:
    """The run's row, in the merge's transaction: it exists only if the merge commits (or,
    failed, through `_registra_fallito`)."""
    valori = ", ".join(_letterale(v) for v in run.values())
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        cur.execute(f"INSERT INTO ingest_run ({', '.join(run)}, stato) "
                    f"VALUES ({valori}, 'in_corso') RETURNING id")
        return int(cur.fetchone()[0])
    finally:
        cur.close()


def _letterale(v: object) -> str:
    """A SQL literal valid on both databases (standard strings: only `'` is special)."""
    if v is None:
        return "NULL"
    if isinstance(v, datetime):
        return _ts(v)
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _una_riga_o_niente(conn: object, sql: str) -> tuple[object, ...] | None:
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        cur.execute(sql)
        row = cur.fetchone()
    finally:
        cur.close()
    return None if row is None else tuple(row)


def _una_riga(conn: object, sql: str) -> tuple[object, ...]:
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        cur.execute(sql)
        row = cur.fetchone()
    finally:
        cur.close()
    return tuple(row)


def _scrivi_scarti(lotti: list[Path], path: Path, run_id: int, settings: Settings) -> Path:
    """The operator's rejects CSV, appended batch by batch (always written, header at least)."""
    out = Path(settings.data_dir) / "scarti" / f"{run_id:06d}-{path.stem}.scarti.csv"
    schema = {"file": pl.String, "riga": pl.Int64, "campo": pl.String, "valore": pl.String,
              "motivo": pl.String}
    riservato.cartella(out.parent)
    tmp = out.with_name(out.name + ".tmp")
    with riservato.apri_privato(tmp) as fh:
        fh.write((",".join(schema) + "\n").encode("utf-8"))
        for lotto in lotti:
            frame = pl.read_parquet(lotto).select(
                pl.lit(str(path)).alias("file"), pl.col(RIGA).alias("riga"),
                "campo", "valore", "motivo")
            neutralizza(frame).write_csv(fh, include_header=False)
    tmp.replace(out)
    return out
