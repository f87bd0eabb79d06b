"""The scale benchmark compares `registro stats` with a DuckDB query: that query must compute
the same table, or the comparison means nothing."""

from __future__ import annotations

import duckdb
import polars as pl
from supporto import RADICE

from cup.schema import valida
from cup.synthetic import carica_catalogo, genera_prenotazioni
from registro.periodo import Periodo
from registro.standards import CARTA1995
from reports.stats import COLONNE, tabella_prestazioni

SQL = RADICE / "benchmarks" / "riferimento_duckdb.sql"


def test_duckdb_reference_equals_registro_stats() -> None:
    grezzo = genera_prenotazioni(20_000, seed=9)
    catalogo = carica_catalogo()
    validi, scarti = valida(grezzo.with_row_index("_riga", offset=2)
                            .with_columns(pl.col("_riga").cast(pl.Int64)),
                            catalogo["codice"].to_list())
    assert scarti.height == 0
    tipi = catalogo.select(pl.col("codice").alias("codice_prestazione"), "tipo")
    nostra = tabella_prestazioni(validi.join(tipi, on="codice_prestazione").lazy(),
                                 profilo=CARTA1995, periodo=Periodo.parse("2025"))

    con = duckdb.connect()
    con.register("grezzo", grezzo.to_arrow())
    con.execute("CREATE TABLE prenotazione AS SELECT * FROM grezzo")
    con.register("cat", catalogo.to_arrow())
    con.execute("CREATE TABLE catalogo AS SELECT * FROM cat")
    sql = SQL.read_text(encoding="utf-8").replace("{anno}", "2025").replace("{anno_dopo}",
                                                                           "2026")
    loro = con.sql(sql).pl()

    codici = ["codice_prestazione", "codice_sede"]
    # quota_fuori_ordine (Carta §5.1) has its own pairwise oracle
    # (supporto.oracoli.agende, supporto.oracoli.stats)
    numeri = [c for c in COLONNE
              if c not in ("periodo", "classe_priorita", "quota_fuori_ordine", *codici)]

    def norma(df: pl.DataFrame) -> pl.DataFrame:
        return df.select(*codici, *(pl.col(c).cast(pl.Float64) for c in numeri))

    assert nostra.height > 100
    assert norma(nostra).equals(norma(loro))
