"""Beyond one machine (issue #16): a region points DuckDB at the union of its authorities'
columnar mirrors, Hive-partitioned `ente=…/anno=…`, and computes with the reference query
(benchmarks/riferimento_duckdb.sql, the definitions of `registro stats`) exactly the
table `registro stats --da-ritorni` merges from the same authorities' Osservatorio returns.

The first authority's register is the `engine` fixture (SQLite and PostgreSQL), the second
a SQLite file of its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from sqlalchemy import Engine
from supporto import RADICE
from supporto.cli import registro

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro import colonnare
from registro.check import check
from registro.db import make_engine, migrate
from registro.letture import leggi_prenotazioni
from registro.settings import Settings, load_settings
from reports.service import esegui
from reports.stats import COLONNE

SQL = RADICE / "benchmarks" / "riferimento_duckdb.sql"


def _azienda(engine: Engine, settings: Settings, export: pl.DataFrame, ritorni: Path) -> None:
    """A register with its bookings ingested and checked (so its mirror exists), and its
    Osservatorio return for 2025 written under `ritorni`, as `registro report osservatorio
    --period 2025 --out … --no-consegna` does."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    cartella = Path(settings.data_dir).parent
    export.write_csv(cartella / f"{settings.codice_ente}.csv", null_value="")
    ingest(cartella / f"{settings.codice_ente}.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    esegui(engine=engine, settings=settings, tipo="osservatorio", periodo="2025",
           out=ritorni / settings.codice_ente, consegnare=False)


def test_duckdb_on_the_union_of_two_mirrors_equals_stats_da_ritorni(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    ritorni = tmp_path / "ritorni"
    a = settings.model_copy(update={"ente": "ASL A", "codice_ente": "080101"})
    export_a = pl.concat([genera_prenotazioni(1500, seed=21, anno=2025),
                          genera_prenotazioni(300, seed=23, anno=2024, primo=100_001)])
    _azienda(engine, a, export_a, ritorni)

    (tmp_path / "b").mkdir()
    b = load_settings(db_url=f"sqlite:///{tmp_path / 'b' / 'r.db'}",
                      data_dir=tmp_path / "b" / "dati", chiave_pseudonimi="chiave-b",
                      ente="ASL B")
    assert b.codice_ente == "asl-b"  # derived from the name
    engine_b = make_engine(b.db_url)
    migrate(engine_b)
    # the synthetic ids restart at 1 for every seed: the second authority's get a prefix
    export_b = genera_prenotazioni(1000, seed=22, anno=2025).with_columns(
        id_prenotazione="B" + pl.col("id_prenotazione"))
    _azienda(engine_b, b, export_b, ritorni)

    # the region: `registro stats --da-ritorni` over both returns
    fusa = tmp_path / "regionale.csv"
    res = registro(b, "stats", "--period", "2025", "--da-ritorni", str(ritorni),
                   "--out", str(fusa))
    assert res.returncode == 0, res.stderr
    assert "2 enti" in res.stdout

    # the region: DuckDB over both mirrors, the reference query over a view of their union
    con = duckdb.connect()
    insiemi = ", ".join(f"'{colonnare.percorso(s)}/*/*/*.parquet'" for s in (a, b))
    con.execute(f"CREATE VIEW prenotazione AS SELECT * FROM read_parquet([{insiemi}], "
                "hive_partitioning = true, hive_types = {'ente': 'VARCHAR', 'anno': 'INTEGER'})")
    con.execute("CREATE VIEW catalogo AS "
                "SELECT DISTINCT codice_prestazione AS codice, tipo FROM prenotazione")
    sql = SQL.read_text(encoding="utf-8").replace("{anno}", "2025").replace(
        "{anno_dopo}", "2026")
    loro = con.sql(sql).pl()

    codici = ["codice_prestazione", "codice_sede"]
    numeri = [c for c in COLONNE
              if c not in ("periodo", "classe_priorita", "quota_fuori_ordine", *codici)]

    def norma(df: pl.DataFrame) -> pl.DataFrame:
        return df.select(*codici, *(pl.col(c).cast(pl.Float64) for c in numeri))

    nostra = pl.read_csv(fusa, infer_schema=False)
    assert nostra.height > 50
    assert nostra["n"].cast(pl.Int64).sum() > 1000
    assert norma(nostra).equals(norma(loro))

    # the partition columns: each authority's code, the year of data_prenotazione
    partizioni = con.sql("SELECT ente, anno, count(*) AS n FROM prenotazione "
                         "GROUP BY ente, anno ORDER BY ente, anno").pl()
    attese = pl.concat([
        leggi_prenotazioni(e).group_by(anno=pl.col("data_prenotazione").dt.year())
        .agg(n=pl.len()).select(ente=pl.lit(s.codice_ente), anno="anno", n="n")
        for e, s in ((engine, a), (engine_b, b))])
    assert partizioni.equals(attese.sort("ente", "anno").cast(partizioni.schema))
    assert partizioni["ente"].to_list() == ["080101", "080101", "asl-b"]
    assert partizioni["anno"].to_list() == [2024, 2025, 2025]
    engine_b.dispose()
