"""Scale benchmark: registro against DuckDB and pandas, whole processes, paired and alternated.

For each N it generates the bookings with `registro synth`, then times, as separate
processes under /usr/bin/time -v (wall time and peak memory):
  ingest:  `registro ingest` into a fresh SQLite register, and into a fresh PostgreSQL
           database (--postgres, default the local server; --no-postgres to leave it out)
           vs DuckDB loading the same CSV into a table
           vs pandas read_csv + to_sql into SQLite (the analyst's way)
  check:   `registro check` on the SQLite register (derived fields, sanctions, the order of
           the lists, and the columnar mirror the statistics read)
           vs the DuckDB reference (benchmarks/riferimento_check_duckdb.sql: the same
           derived fields for every booking, written to a table), on its own table
  stats:   `registro stats --period ANNO` vs the DuckDB reference query
           (benchmarks/riferimento_duckdb.sql, the same definitions) on its own table
  site:    `registro site build`
Repetitions alternate the order of the contenders.

With --notturno it times the nightly path instead (issue #16): a year of N bookings loaded
and checked, then three CUP deltas of 1 % new + 0.5 % updated bookings
(benchmarks/delta_cup.py), each
  ingest:  `registro ingest deltaK.csv` vs DuckDB's `INSERT OR REPLACE` of the same file
           into a table keyed by id_prenotazione (loaded with the year beforehand)
  check:   `registro check` after the delta (incremental when safe) vs `registro check
           --completo` on a copy of the same register, same reference date
alternating who goes first; the ratios are to the first load and to the full check.
It prints medians and ratios and appends them, with versions and machine facts, to a CSV.

    .venv/bin/python benchmarks/scala.py --righe 1000000 5000000 --ripetizioni 3
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas
import polars
import polars as pl
import psycopg

BIN = Path(sys.executable).parent
QUI = Path(__file__).resolve().parent
ANNO = 2025

DUCKDB_LOAD = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("DROP TABLE IF EXISTS prenotazione")
con.execute(f"CREATE TABLE prenotazione AS SELECT * FROM read_csv('{sys.argv[1]}', "
            "types={'codice_prestazione': 'VARCHAR', 'codice_sede': 'VARCHAR', "
            "'id_prenotazione': 'VARCHAR', 'id_assistito': 'VARCHAR'})")
con.execute("DROP TABLE IF EXISTS catalogo")
con.execute(f"CREATE TABLE catalogo AS SELECT * FROM read_csv('{sys.argv[3]}', all_varchar=true)")
con.execute("ALTER TABLE catalogo ADD COLUMN IF NOT EXISTS periodica VARCHAR")
"""

DUCKDB_CHECK = """
import duckdb, sys
from pathlib import Path
con = duckdb.connect(sys.argv[1])
con.execute(Path(sys.argv[2]).read_text())
"""

DUCKDB_QUERY = """
import duckdb, sys
from pathlib import Path
sql = Path(sys.argv[2]).read_text().replace("{anno}", sys.argv[3]).replace(
    "{anno_dopo}", str(int(sys.argv[3]) + 1))
con = duckdb.connect(sys.argv[1], read_only=True)
con.sql(sql).write_csv(sys.argv[4])
"""

PANDAS_LOAD = """
import sqlite3, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], dtype=str)
with sqlite3.connect(sys.argv[2]) as con:
    df.to_sql("prenotazione", con, if_exists="replace", index=False, chunksize=100_000)
"""


DUCKDB_CHIAVE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("DROP TABLE IF EXISTS prenotazione")
con.execute(f"CREATE TABLE prenotazione AS SELECT * FROM read_csv('{sys.argv[1]}', "
            "all_varchar=true) LIMIT 0")
con.execute("ALTER TABLE prenotazione ADD PRIMARY KEY (id_prenotazione)")
con.execute(f"INSERT INTO prenotazione SELECT * FROM read_csv('{sys.argv[1]}', all_varchar=true)")
"""

DUCKDB_UPSERT = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute(f"INSERT OR REPLACE INTO prenotazione SELECT * FROM read_csv('{sys.argv[1]}', "
            "all_varchar=true)")
"""


def scrivi_delta(base: Path, out: Path, *, k: int, anno: int, quota_nuove: float = 0.01,
                 quota_aggiornate: float = 0.005) -> Path:
    """The k-th nightly delta, as a CUP exports it the night after day k of the next year:
    that day's new bookings (benchmarks/delta_cup.py's new rows, seed k, ids `D<k>-…`, moved
    with all their dates to day k at their own time of day, waits unchanged, still
    `prenotata`) and a sample of the year's bookings with the appointment moved 3 days later,
    stamped that morning, so that each delta's versions are newer than the earlier deltas'.
    Shuffled."""
    from delta_cup import delta

    frame = delta(pl.read_csv(base, infer_schema=False), quota_nuove, quota_aggiornate, k)
    nuova = pl.col("id_prenotazione").str.starts_with("D")
    prenotata = pl.col("data_prenotazione").str.to_datetime("%Y-%m-%dT%H:%M")
    sposta = pl.lit(date(anno + 1, 1, k)) - prenotata.dt.date()

    def spostata(colonna: str, formato: str) -> pl.Expr:
        valore = (pl.col(colonna).str.to_datetime(formato, strict=False) + sposta
                  ).dt.strftime(formato)
        return pl.when(nuova).then(valore).otherwise(pl.col(colonna)).alias(colonna)

    vuota = pl.lit(None, dtype=pl.String)
    frame = frame.with_columns(
        spostata("data_prescrizione", "%Y-%m-%d"),
        spostata("data_prenotazione", "%Y-%m-%dT%H:%M"),
        spostata("data_appuntamento", "%Y-%m-%dT%H:%M"),
        *(pl.when(nuova).then(vuota).otherwise(pl.col(c)).alias(c)
          for c in ("data_disdetta", "causale_annullamento", "esito_annullamento",
                    "forza_maggiore", "data_ritiro_referto")),
        stato=pl.when(nuova).then(pl.lit("prenotata")).otherwise(pl.col("stato")),
    ).with_columns(aggiornato_il=pl.when(nuova).then(pl.col("data_prenotazione"))
                   .otherwise(pl.lit(f"{anno + 1}-01-{k:02d}T06:00")))
    frame.sample(fraction=1.0, shuffle=True, seed=k).write_csv(out, null_value="")
    return out


def _tempo(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole process."""
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                         env=env)
    if res.returncode != 0:
        raise SystemExit(f"fallito: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", res.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    assert wall and rss, res.stderr
    ore = float(wall.group(1) or 0)
    secondi = ore * 3600 + float(wall.group(2)) * 60 + float(wall.group(3))
    return secondi, int(rss.group(1)) / 1024


def _env(db: Path, dati: Path) -> dict[str, str]:
    return {**os.environ, "REGISTRO_DB_URL": f"sqlite:///{db}", "REGISTRO_DATA_DIR": str(dati),
            "REGISTRO_CHIAVE_PSEUDONIMI": "benchmark"}


def _pg(admin: str, sql: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _anno_sintetico(n: int, cartella: Path) -> Path:
    """The year of n synthetic bookings every scenario starts from, generated once."""
    csv_path = cartella / f"cup_{n}.csv"
    if not csv_path.exists():
        subprocess.run([str(BIN / "registro"), "synth", "--rows", str(n), "--seed", "1",
                        "--out", str(csv_path), "--anno", str(ANNO)], check=True)
    return csv_path


def _mediane(n: int, tempi: dict[str, list[tuple[float, float]]]) -> list[dict[str, object]]:
    return [{"righe": n, "compito": k, "mediana_s": statistics.median(t for t, _ in v),
             "picco_mb": max(m for _, m in v), "ripetizioni": len(v)}
            for k, v in tempi.items()]


def misura(n: int, ripetizioni: int, cartella: Path, postgres: str | None = None
           ) -> list[dict[str, object]]:
    registro = str(BIN / "registro")
    py = sys.executable
    csv_path = _anno_sintetico(n, cartella)
    catalogo = Path(__file__).resolve().parents[1] / "registro" / "data" / "catalogo.csv"
    tempi: dict[str, list[tuple[float, float]]] = {}

    def ingest_registro(i: int) -> None:
        d = cartella / f"reg_{n}_{i}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        env = _env(d / "r.db", d / "dati")
        subprocess.run([registro, "init"], check=True, env=env, capture_output=True)
        tempi.setdefault("ingest registro", []).append(
            _tempo([registro, "ingest", str(csv_path)], env))

    def ingest_postgres(i: int) -> None:
        assert postgres
        nome = f"registro_scala_{n}_{i}"
        _pg(postgres, f"DROP DATABASE IF EXISTS {nome} WITH (FORCE)")
        _pg(postgres, f"CREATE DATABASE {nome}")
        d = cartella / f"pg_{n}_{i}"
        shutil.rmtree(d, ignore_errors=True)
        url = postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        env = {**_env(d / "x.db", d / "dati"), "REGISTRO_DB_URL": f"{url}/{nome}"}
        try:
            subprocess.run([registro, "init"], check=True, env=env, capture_output=True)
            tempi.setdefault("ingest registro pg", []).append(
                _tempo([registro, "ingest", str(csv_path)], env))
        finally:
            _pg(postgres, f"DROP DATABASE IF EXISTS {nome} WITH (FORCE)")

    def check_registro(i: int) -> None:
        d = cartella / f"reg_{n}_{i}"
        tempi.setdefault("check registro", []).append(_tempo(
            [registro, "check", "--al", f"{ANNO}-12-31"], _env(d / "r.db", d / "dati")))

    def ingest_duckdb(i: int) -> None:
        db = cartella / f"duck_{n}_{i}.duckdb"
        db.unlink(missing_ok=True)
        tempi.setdefault("ingest duckdb", []).append(
            _tempo([py, "-c", DUCKDB_LOAD, str(csv_path), str(db), str(catalogo)]))

    def check_duckdb(i: int) -> None:
        db = cartella / f"duck_{n}_{i}.duckdb"
        tempi.setdefault("check duckdb", []).append(_tempo(
            [py, "-c", DUCKDB_CHECK, str(db), str(QUI / "riferimento_check_duckdb.sql")]))

    def ingest_pandas(i: int) -> None:
        db = cartella / f"pandas_{n}_{i}.db"
        db.unlink(missing_ok=True)
        tempi.setdefault("ingest pandas", []).append(
            _tempo([py, "-c", PANDAS_LOAD, str(csv_path), str(db)]))

    def stats_registro(i: int) -> None:
        d = cartella / f"reg_{n}_{i}"
        tempi.setdefault("stats registro", []).append(_tempo(
            [registro, "stats", "--period", str(ANNO), "--out", str(d / "stats.csv")],
            _env(d / "r.db", d / "dati")))

    def stats_duckdb(i: int) -> None:
        db = cartella / f"duck_{n}_{i}.duckdb"
        tempi.setdefault("stats duckdb", []).append(_tempo(
            [py, "-c", DUCKDB_QUERY, str(db), str(QUI / "riferimento_duckdb.sql"), str(ANNO),
             str(cartella / f"duck_{n}_{i}.csv")]))

    def site(i: int) -> None:
        d = cartella / f"reg_{n}_{i}"
        tempi.setdefault("site build", []).append(_tempo(
            [registro, "site", "build", "--out", str(d / "sito"), "--period", str(ANNO)],
            _env(d / "r.db", d / "dati")))

    def letture(i: int) -> None:
        """The Direzione's commands that read the whole register (the goal: every command
        under 2 GiB at 5 M, not only those compared with a reference)."""
        d = cartella / f"reg_{n}_{i}"
        al = f"{ANNO}-12-31"
        for nome, argomenti in (
                ("monitoring", ["monitoring", "--al", al, "--out", str(d / "m.csv")]),
                ("monitoring json", ["monitoring", "--al", al, "--format", "json",
                                     "--out", str(d / "m.json")]),
                ("report conferenza", ["report", "conferenza", "--period", str(ANNO),
                                       "--out", str(d / "conferenza")]),
                ("report direzione", ["report", "direzione", "--al", al, "--no-consegna",
                                      "--out", str(d / "direzione")]),
                ("report osservatorio", ["report", "osservatorio", "--period", str(ANNO),
                                         "--out", str(d / "osservatorio")])):
            tempi.setdefault(nome, []).append(_tempo([registro, *argomenti],
                                                     _env(d / "r.db", d / "dati")))

    for i in range(ripetizioni):
        carichi = [ingest_registro, ingest_duckdb, ingest_pandas,
                   *([ingest_postgres] if postgres else [])]
        verifiche = [check_registro, check_duckdb]
        interrogazioni = [stats_registro, stats_duckdb]
        if i % 2:  # alternate who goes first
            carichi.reverse()
            verifiche.reverse()
            interrogazioni.reverse()
        for f in [*carichi, *verifiche, *interrogazioni, site, letture]:
            f(i)
    return _mediane(n, tempi)


def misura_notturna(n: int, delta: int, cartella: Path) -> list[dict[str, object]]:
    """The nightly scenario (module docstring), on SQLite: deltas 1..`delta`."""
    registro = str(BIN / "registro")
    py = sys.executable
    csv_path = _anno_sintetico(n, cartella)
    tempi: dict[str, list[tuple[float, float]]] = {}
    d = cartella / f"notte_{n}"
    copia = cartella / f"notte_{n}_completo"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    env = _env(d / "r.db", d / "dati")
    env_copia = _env(copia / "r.db", copia / "dati")
    duck = cartella / f"notte_{n}.duckdb"
    duck.unlink(missing_ok=True)
    subprocess.run([registro, "init"], check=True, env=env, capture_output=True)
    tempi["ingest registro"] = [_tempo([registro, "ingest", str(csv_path)], env)]
    tempi["check registro"] = [_tempo([registro, "check", "--al", f"{ANNO}-12-31"], env)]
    tempi["carico duckdb con chiave"] = [_tempo([py, "-c", DUCKDB_CHIAVE, str(csv_path),
                                                 str(duck)])]
    for k in range(1, delta + 1):
        f = scrivi_delta(csv_path, cartella / f"delta_{n}_{k}.csv", k=k, anno=ANNO)
        al = f"{ANNO + 1}-01-{k:02d}"

        def ingest_registro(f: Path = f) -> None:
            tempi.setdefault("ingest delta registro", []).append(
                _tempo([registro, "ingest", str(f)], env))

        def ingest_duckdb(f: Path = f) -> None:
            tempi.setdefault("ingest delta duckdb", []).append(
                _tempo([py, "-c", DUCKDB_UPSERT, str(f), str(duck)]))

        def check_delta(al: str = al) -> None:
            tempi.setdefault("check delta registro", []).append(
                _tempo([registro, "check", "--al", al], env))

        def check_completo(al: str = al) -> None:
            tempi.setdefault("check completo registro", []).append(
                _tempo([registro, "check", "--completo", "--al", al], env_copia))

        carichi = [ingest_registro, ingest_duckdb]
        verifiche = [check_delta, check_completo]
        if k % 2 == 0:
            carichi.reverse()
            verifiche.reverse()
        for c in carichi:
            c()
        # the full check runs on a copy taken after the delta's ingest, so both checks
        # start from the same register
        shutil.rmtree(copia, ignore_errors=True)
        shutil.copytree(d, copia)
        for v in verifiche:
            v()
    shutil.rmtree(copia, ignore_errors=True)
    # The register on disk with one update per ten bookings (issue #16's measure): a last
    # delta that updates a tenth of the year, then the file after a checkpoint.
    dieci = scrivi_delta(csv_path, cartella / f"delta_{n}_decimo.csv", k=delta + 1,
                         anno=ANNO, quota_nuove=0, quota_aggiornate=0.1)
    subprocess.run([registro, "ingest", str(dieci)], check=True, env=env, capture_output=True)
    with sqlite3.connect(d / "r.db") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        prenotazioni = con.execute("SELECT count(*) FROM prenotazione").fetchone()[0]
        versioni = con.execute("SELECT count(*) FROM prenotazione_storia").fetchone()[0]
    byte = (d / "r.db").stat().st_size
    print(f"registro su disco, un aggiornamento ogni dieci prenotazioni: {byte:,} byte, "
          f"{prenotazioni:,} prenotazioni, {versioni:,} versioni superate nella storia: "
          f"{byte / prenotazioni:.0f} B per prenotazione", flush=True)
    return [*_mediane(n, tempi), {"righe": n, "compito": "byte per prenotazione (1 agg. su 10)",
                         "mediana_s": round(byte / prenotazioni, 1), "picco_mb": 0,
                         "ripetizioni": 1}]


def _rapporto(mediane: dict[tuple[object, object], float], n: object, k: str) -> str:
    m = mediane[(n, k)]
    if k.startswith("ingest registro") and (n, "ingest duckdb") in mediane:
        return (f"{m / mediane[(n, 'ingest duckdb')]:.2f}× duckdb, "
                f"{m / mediane[(n, 'ingest pandas')]:.2f}× pandas")
    if k == "check registro" and (n, "check duckdb") in mediane:
        return f"{m / mediane[(n, 'check duckdb')]:.2f}× duckdb"
    if k == "stats registro":
        return f"{m / mediane[(n, 'stats duckdb')]:.2f}× duckdb"
    if k == "ingest delta registro":
        return (f"{m / mediane[(n, 'ingest delta duckdb')]:.2f}× duckdb upsert, "
                f"{m / mediane[(n, 'ingest registro')]:.1%} del primo carico")
    if k == "check delta registro":
        return f"{m / mediane[(n, 'check completo registro')]:.1%} della verifica completa"
    return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--righe", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--ripetizioni", type=int, default=3)
    ap.add_argument("--cartella", type=Path, default=Path(tempfile.gettempdir()) / "scala")
    ap.add_argument("--csv", type=Path, default=QUI / "risultati" / "scala.csv")
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                    help="Server for the PostgreSQL ingest (an admin URL).")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--notturno", action="store_true",
                    help="The nightly scenario (a year, then CUP deltas) instead.")
    ap.add_argument("--delta", type=int, default=3, help="Deltas in the nightly scenario.")
    args = ap.parse_args()
    args.cartella.mkdir(parents=True, exist_ok=True)
    macchina = {"data": datetime.now().isoformat(timespec="seconds"),
                "cpu": os.cpu_count(), "python": platform.python_version(),
                "polars": polars.__version__, "duckdb": duckdb.__version__,
                "pandas": pandas.__version__, "sistema": platform.platform()}
    righe: list[dict[str, object]] = []
    for n in args.righe:
        if args.notturno:
            righe += misura_notturna(n, args.delta, args.cartella)
        else:
            righe += misura(n, args.ripetizioni, args.cartella,
                            None if args.no_postgres else args.postgres)
    mediane = {(r["righe"], r["compito"]): float(r["mediana_s"]) for r in righe}  # type: ignore[arg-type]
    print(f"{'righe':>10} {'compito':<24} {'mediana s':>10} {'picco MB':>9}  rapporto")
    for r in righe:
        n, k = r["righe"], str(r["compito"])
        print(f"{n:>10,} {k:<24} {float(r['mediana_s']):>10.2f} {float(r['picco_mb']):>9.0f}"  # type: ignore[arg-type]
              f"  {_rapporto(mediane, n, k)}")
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    nuovo = not args.csv.exists()
    with open(args.csv, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[*macchina, "righe", "compito", "mediana_s",
                                           "picco_mb", "ripetizioni"])
        if nuovo:
            w.writeheader()
        for r in righe:
            w.writerow({**macchina, **r})


if __name__ == "__main__":
    main()
