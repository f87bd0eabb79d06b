"""Ingest of a CUP export (either register): read -> map -> validate -> merge, all or nothing.

Guarantees (DESIGN.md, "Data"): a file that cannot be read at all is refused and nothing is
written; otherwise valid rows land and every invalid row goes to `scarto` and to a rejects
CSV; versions are ordered by `aggiornato_il` (an older version never overwrites a newer one)
and every version is kept in `prenotazione_storia`; the same file twice changes nothing; the
raw file is archived with its SHA-256. The merge is set-based SQL over a staging table
loaded through ADBC, in one transaction: a crash leaves the register as it was.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import select

from cup import pseudonimi
from cup.mapping import Mapping
from cup.readers import RIGA, leggi
from cup.schema import PRENOTAZIONI, TRACCIATI, Tracciato, colonne_mancanti, valida
from registro import blocco, db
from registro.csvsafe import scrivi_csv
from registro.errors import ErroreUtente
from registro.models import IngestRun, Prestazione
from registro.settings import Settings

GREZZO_MAX = 500


def contenuto(t: Tracciato) -> list[str]:
    """The columns that make a version: everything the export says but the key."""
    return [c for c in t.schema_valido if c != t.chiave]


def colonne_registro(t: Tracciato) -> list[str]:
    return [t.chiave, *contenuto(t), "versione_il", "ingest_run_id"]


def derivati(t: Tracciato) -> list[str]:
    """What `registro check` derives: reset whenever a newer version arrives."""
    from sqlmodel import SQLModel

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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archivia(path: Path, sha: str, settings: Settings, quando: datetime) -> Path:
    """Keep the original file, by period of arrival, named by its checksum."""
    cartella = Path(settings.data_dir) / "archivio" / f"{quando:%Y}" / f"{quando:%m}"
    cartella.mkdir(parents=True, exist_ok=True)
    dest = cartella / f"{sha[:16]}-{path.name}"
    if not dest.exists():
        tmp = dest.with_suffix(dest.suffix + ".tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(dest)
    return dest


def prepara(path: Path, mapping: Path | None, codici_catalogo: list[str], key: bytes,
            tracciato: Tracciato = PRENOTAZIONI) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """Read and validate a file without touching the database.

    Returns (valid rows, reject lines with `grezzo`, rows read, codici fiscali replaced).
    Raises ErroreUtente when the file cannot be read at all.
    """
    canoniche = tracciato.canoniche
    raw = leggi(path)
    m = Mapping.carica(mapping, canoniche) if mapping else Mapping()
    df = m.applica(raw, canoniche, path)
    mancanti = colonne_mancanti(df.columns, tracciato)
    if mancanti:
        raise ErroreUtente(
            f"{path}: colonne obbligatorie assenti: {', '.join(mancanti)}"
            + ("" if mapping else " (serve un --mapping per questo tracciato?)")
            + "; nessun dato è stato scritto")
    df, n_cf = pseudonimi.pseudonimizza(df, "id_assistito", key)
    validi, scarti = valida(df, codici_catalogo, tracciato)
    presenti = [c for c in canoniche if c in df.columns]
    grezzo = df.select(
        pl.col(RIGA),
        pl.concat_str([pl.col(c).fill_null("") for c in presenti], separator=";")
        .str.slice(0, GREZZO_MAX).alias("grezzo"))
    scarti = scarti.join(grezzo, on=RIGA, how="left")
    return validi, scarti, df.height, n_cf


def _stesso(a: str, b: str, sqlite: bool) -> str:
    return f"{a} IS {b}" if sqlite else f"{a} IS NOT DISTINCT FROM {b}"


def _uguali(sx: str, dx: str, colonne: list[str], sqlite: bool) -> str:
    return " AND ".join(_stesso(f"{sx}.{c}", f"{dx}.{c}", sqlite) for c in colonne)


def _ts(value: datetime) -> str:
    return value.strftime("'%Y-%m-%d %H:%M:%S.%f'")


def ingest(path: Path, *, engine: Engine, settings: Settings, mapping: Path | None = None,
           registro: str = "prestazioni", utente: str | None = None,
           progress: Callable[[str], None] | None = None) -> EsitoIngest:
    """Ingest one export into `registro` (`prestazioni` or `ricoveri`).

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
    say("lettura e validazione")
    validi, scarti, righe, n_cf = prepara(path, mapping, codici, pseudonimi.chiave(settings), t)

    inizio = datetime.now()
    sha = sha256_file(path)
    archivio = archivia(path, sha, settings, inizio)
    with db.session_scope(engine) as session:
        run = IngestRun(registro=t.registro, file=str(path), sha256=sha,
                        archiviato_in=str(archivio), mapping=str(mapping) if mapping else None,
                        utente=utente, iniziato_il=inizio, righe=righe)
        session.add(run)
        session.commit()
        assert run.id is not None
        run_id = run.id

    # Within one file the later line wins (latest aggiornato_il, then line number).
    validi = validi.with_columns(
        versione_il=pl.coalesce(pl.col("aggiornato_il"), pl.lit(inizio)),
        ingest_run_id=pl.lit(run_id, dtype=pl.Int64),
    ).with_columns(
    ).sort("versione_il", RIGA).with_columns(
        _vince=pl.col(t.chiave).is_last_distinct().cast(pl.Int64))
    duplicate = validi.height - int(validi["_vince"].sum())
    colonne = colonne_registro(t)
    stage = validi.select([*colonne, "_vince"])

    say("scrittura nel registro")
    sqlite = db.is_sqlite(engine)
    tabella = f"stage_{t.tabella}_{run_id}"
    key = t.chiave
    anagrafica, col_codice = t.anagrafica
    cols = ", ".join(colonne)
    s_cols = ", ".join(f"s.{c}" for c in colonne)
    same = _uguali("s", "p", contenuto(t), sqlite)
    with db.adbc_connection(engine) as conn:
        blocco.prendi(conn, f"ingest {run_id}")
        db.write_frame(conn, tabella, stage, engine, mode="create")
        db.execute(conn, f"CREATE INDEX ix_{tabella} ON {tabella} ({key})")
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
        aggiornate = (validi.height - duplicate) - nuove - invariate - obsolete
        sedi_nuove = int(str(_una_riga(conn, f"""
            SELECT COUNT(DISTINCT s.{col_codice}) FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM {anagrafica} x
                              WHERE x.codice = s.{col_codice})""")[0]))
        db.execute(conn, f"""
            INSERT INTO {anagrafica} (codice, nome, da_completare)
            SELECT DISTINCT s.{col_codice}, s.{col_codice}, TRUE FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM {anagrafica} x WHERE x.codice = s.{col_codice})
            ON CONFLICT (codice) DO NOTHING""")
        # Every version ever received, once: same content and same aggiornato_il is the
        # same version whatever the file it came in.
        db.execute(conn, f"""
            INSERT INTO {t.storia} ({cols})
            SELECT {s_cols} FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM {t.storia} p
                              WHERE p.{key} = s.{key} AND {same})""")
        aggiorna = ", ".join(f"{c} = excluded.{c}" for c in colonne[1:])
        azzera = ", ".join(f"{c} = NULL" for c in derivati(t))
        db.execute(conn, f"""
            INSERT INTO {t.tabella} ({cols})
            SELECT {s_cols} FROM {tabella} s
            LEFT JOIN {t.tabella} p ON p.{key} = s.{key}
            WHERE s._vince = 1 AND (p.{key} IS NULL
                  OR (NOT ({same}) AND s.versione_il >= p.versione_il))
            ON CONFLICT ({key}) DO UPDATE SET {aggiorna}, {azzera}""")
        db.execute(conn, f"DROP TABLE {tabella}")
        scarti_db = scarti.select(
            pl.lit(run_id, dtype=pl.Int64).alias("ingest_run_id"),
            pl.lit(str(path)).alias("file"),
            pl.col(RIGA).alias("riga"), "campo", "valore", "motivo", "grezzo")
        db.write_frame(conn, "scarto", scarti_db, engine)
        scartate = scarti["_riga"].n_unique()
        accettate = validi.height
        db.execute(conn, f"""
            UPDATE ingest_run SET stato = 'completato', finito_il = {_ts(datetime.now())},
              accettate = {accettate}, scartate = {scartate}, nuove = {nuove},
              aggiornate = {aggiornate}, invariate = {invariate}, obsolete = {obsolete},
              duplicate = {duplicate}, sedi_nuove = {sedi_nuove}
            WHERE id = {run_id}""")
        conn.commit()

    file_scarti = _scrivi_scarti(scarti, path, run_id, settings)
    return EsitoIngest(
        file=str(path), righe=righe, accettate=accettate, scartate=scartate, nuove=nuove,
        aggiornate=aggiornate, invariate=invariate, obsolete=obsolete, duplicate=duplicate,
        sedi_nuove=sedi_nuove, pseudonimizzati=n_cf, file_scarti=str(file_scarti),
        ingest_run_id=run_id, sha256=sha, archiviato_in=str(archivio))


def _una_riga(conn: object, sql: str) -> tuple[object, ...]:
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        cur.execute(sql)
        row = cur.fetchone()
    finally:
        cur.close()
    return tuple(row)


def _scrivi_scarti(scarti: pl.DataFrame, path: Path, run_id: int, settings: Settings) -> Path:
    out = Path(settings.data_dir) / "scarti" / f"{run_id:06d}-{path.stem}.scarti.csv"
    frame = scarti.select(pl.lit(str(path)).alias("file"), pl.col(RIGA).alias("riga"),
                          "campo", "valore", "motivo")
    return scrivi_csv(frame, out)
