"""Ingest of a CUP specialistica export: read -> map -> validate -> merge, all or nothing.

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
from cup.schema import CANONICHE, SCHEMA_VALIDO, colonne_mancanti, valida
from registro import db
from registro.csvsafe import scrivi_csv
from registro.errors import ErroreUtente
from registro.models import IngestRun, Prestazione
from registro.settings import Settings

CONTENUTO = [c for c in SCHEMA_VALIDO if c != "id_prenotazione"]
COLONNE_REGISTRO = ["id_prenotazione", *CONTENUTO, "versione_il", "ingest_run_id"]
DERIVATI = ["attesa_giorni", "attesa_da_prescrizione", "standard_giorni", "in_garanzia",
            "entro_standard", "superamento", "percorso_tutela", "preferenziale",
            "verificata_il", "profilo"]
GREZZO_MAX = 500


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


def prepara(path: Path, mapping: Path | None, codici_catalogo: list[str], key: bytes
            ) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """Read and validate a file without touching the database.

    Returns (valid rows, reject lines with `grezzo`, rows read, codici fiscali replaced).
    Raises ErroreUtente when the file cannot be read at all.
    """
    raw = leggi(path)
    m = Mapping.carica(mapping, CANONICHE) if mapping else Mapping()
    df = m.applica(raw, CANONICHE, path)
    mancanti = colonne_mancanti(df.columns)
    if mancanti:
        raise ErroreUtente(
            f"{path}: colonne obbligatorie assenti: {', '.join(mancanti)}"
            + ("" if mapping else " (serve un --mapping per questo tracciato?)")
            + "; nessun dato è stato scritto")
    df, n_cf = pseudonimi.pseudonimizza(df, "id_assistito", key)
    validi, scarti = valida(df, codici_catalogo)
    presenti = [c for c in CANONICHE if c in df.columns]
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
           utente: str | None = None, progress: Callable[[str], None] | None = None
           ) -> EsitoIngest:
    """Ingest one specialistica export. Raises ErroreUtente when it cannot be read at all."""
    say = progress or (lambda _msg: None)
    path = Path(path)
    with db.session_scope(engine) as session:
        codici = list(session.exec(select(Prestazione.codice)).all())
    if not codici:
        raise ErroreUtente("il catalogo delle prestazioni è vuoto: eseguire prima "
                           "`registro init` (carica il catalogo nazionale) o "
                           "`registro catalogo import FILE.csv`")
    say("lettura e validazione")
    validi, scarti, righe, n_cf = prepara(path, mapping, codici, pseudonimi.chiave(settings))

    inizio = datetime.now()
    sha = sha256_file(path)
    archivio = archivia(path, sha, settings, inizio)
    with db.session_scope(engine) as session:
        run = IngestRun(registro="prestazioni", file=str(path), sha256=sha,
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
        _vince=(pl.struct("versione_il", RIGA).rank("ordinal", descending=True)
                .over("id_prenotazione") == 1).cast(pl.Int64),
    )
    duplicate = validi.height - int(validi["_vince"].sum())
    stage = validi.select([*COLONNE_REGISTRO, "_vince"])

    say("scrittura nel registro")
    sqlite = db.is_sqlite(engine)
    tabella = f"stage_prenotazione_{run_id}"
    cols = ", ".join(COLONNE_REGISTRO)
    s_cols = ", ".join(f"s.{c}" for c in COLONNE_REGISTRO)
    same = _uguali("s", "p", CONTENUTO, sqlite)
    with db.adbc_connection(engine) as conn:
        db.write_frame(conn, tabella, stage, engine, mode="create")
        db.execute(conn, f"CREATE INDEX ix_{tabella} ON {tabella} (id_prenotazione)")
        counts = _una_riga(conn, f"""
            SELECT
              COALESCE(SUM(CASE WHEN p.id_prenotazione IS NULL THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN p.id_prenotazione IS NOT NULL AND ({same})
                           THEN 1 ELSE 0 END), 0),
              COALESCE(SUM(CASE WHEN p.id_prenotazione IS NOT NULL AND NOT ({same})
                           AND s.versione_il < p.versione_il THEN 1 ELSE 0 END), 0)
            FROM {tabella} s LEFT JOIN prenotazione p ON p.id_prenotazione = s.id_prenotazione
            WHERE s._vince = 1""")
        nuove, invariate, obsolete = (int(str(x)) for x in counts)
        aggiornate = (validi.height - duplicate) - nuove - invariate - obsolete
        sedi_nuove = int(str(_una_riga(conn, f"""
            SELECT COUNT(DISTINCT s.codice_sede) FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM sede x WHERE x.codice = s.codice_sede)""")[0]))
        db.execute(conn, f"""
            INSERT INTO sede (codice, nome, da_completare)
            SELECT DISTINCT s.codice_sede, s.codice_sede, TRUE FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM sede x WHERE x.codice = s.codice_sede)""")
        # Every version ever received, once: same content and same aggiornato_il is the
        # same version whatever the file it came in.
        db.execute(conn, f"""
            INSERT INTO prenotazione_storia ({cols})
            SELECT {s_cols} FROM {tabella} s
            WHERE NOT EXISTS (SELECT 1 FROM prenotazione_storia p
                              WHERE p.id_prenotazione = s.id_prenotazione AND {same})""")
        aggiorna = ", ".join(f"{c} = excluded.{c}" for c in COLONNE_REGISTRO[1:])
        azzera = ", ".join(f"{c} = NULL" for c in DERIVATI)
        db.execute(conn, f"""
            INSERT INTO prenotazione ({cols})
            SELECT {s_cols} FROM {tabella} s
            LEFT JOIN prenotazione p ON p.id_prenotazione = s.id_prenotazione
            WHERE s._vince = 1 AND (p.id_prenotazione IS NULL
                  OR (NOT ({same}) AND s.versione_il >= p.versione_il))
            ON CONFLICT (id_prenotazione) DO UPDATE SET {aggiorna}, {azzera}""")
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
