"""The scale benchmark compares `registro check` with a DuckDB query deriving the same fields
(benchmarks/riferimento_check_duckdb.sql): that query must give, booking by booking, what the
register's rules give, or the ratio means nothing."""

from __future__ import annotations

import duckdb
import polars as pl
from supporto import RADICE

from cup.schema import valida
from cup.synthetic import carica_catalogo, genera_prenotazioni
from registro.rules import deriva
from registro.standards import CARTA1995

SQL = RADICE / "benchmarks" / "riferimento_check_duckdb.sql"
CAMPI = ["attesa_giorni", "attesa_da_prescrizione", "standard_giorni", "in_garanzia",
         "entro_standard", "superamento"]


def test_duckdb_check_reference_equals_the_registers_rules() -> None:
    grezzo = genera_prenotazioni(20_000, seed=11)
    catalogo = carica_catalogo()
    # one periodic laboratory test, so that the reference is held to that rule too
    periodico = catalogo.filter(pl.col("tipo") == "laboratorio")["codice"][0]
    catalogo = catalogo.with_columns(
        periodica=pl.when(pl.col("codice") == periodico).then(pl.lit("1")).otherwise(pl.lit("")))
    validi, scarti = valida(grezzo.with_row_index("_riga", offset=2)
                            .with_columns(pl.col("_riga").cast(pl.Int64)),
                            catalogo["codice"].to_list())
    assert scarti.height == 0
    tipi = catalogo.select(pl.col("codice").alias("codice_prestazione"), "tipo",
                           periodica=pl.col("periodica") == "1")
    nostra = (deriva(validi.join(tipi, on="codice_prestazione").lazy(), CARTA1995)
              .select("id_prenotazione", *CAMPI).collect())

    con = duckdb.connect()
    con.register("grezzo", grezzo.to_arrow())
    con.execute("CREATE TABLE prenotazione AS SELECT * FROM grezzo")
    con.register("cat", catalogo.to_arrow())
    con.execute("CREATE TABLE catalogo AS SELECT * FROM cat")
    con.execute(SQL.read_text(encoding="utf-8"))
    loro = con.sql("SELECT * FROM verificata").pl()

    def norma(df: pl.DataFrame) -> pl.DataFrame:
        return df.select("id_prenotazione", *(pl.col(c).cast(pl.Int64) for c in CAMPI)
                         ).sort("id_prenotazione")

    assert nostra.height == grezzo.height
    # the sample exercises every branch the rules have
    assert nostra["superamento"].sum() > 100 and (~nostra["in_garanzia"]).sum() > 100
    periodiche = validi.filter(pl.col("codice_prestazione") == periodico)["id_prenotazione"]
    assert periodiche.len() > 0
    assert nostra.filter(pl.col("id_prenotazione").is_in(periodiche.implode())
                         )["standard_giorni"].null_count() == periodiche.len()
    assert norma(nostra).equals(norma(loro))
