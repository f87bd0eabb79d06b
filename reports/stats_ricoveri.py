"""Waiting-time tables of the ricoveri programmati register (DESIGN.md "Statistics"), in polars.

One row per codice_reparto × codice_patologia × classe_priorita with at least one admission in
the period or at least one entry still waiting at its end, sorted by those keys.

Over the admissions of the period (stato `ricoverato`, date of `data_ricovero` in it), with
the definitions of `reports.stats` (and its rounding):
- `n`; `attesa_media` (1 decimal, half up, exact from integers); `attesa_mediana` (mean of
  the two middle values when n is even); `attesa_p90` (nearest rank, the ⌈0.9·n⌉-th smallest);
- `quota_entro_standard`: share of admissions waiting ≤ the maximum, 3 decimals (null when
  the group has no maximum); all null when n is 0.
- `standard_giorni`: the group's maximum wait (`Profilo.attesa_massima`: it depends on the
  group's keys only), given whether or not the group had admissions.

The list as of the last day L of the period (periodo.fine − 1 day):
- `in_attesa`: entries inserted on or before L, not admitted on or before L, not cancelled on
  or before L (an entry cancelled with no date counts as gone);
- `attesa_massima_in_corso`: the longest of their waits at L (days), null when none waits;
- `fuori_ordine`: admissions of the period out of chronological order (`registro.ordine`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

import polars as pl

from registro import statistiche
from registro.ordine import derivati_ricoveri
from registro.periodo import Periodo
from registro.standards import Profilo
from reports.stats import scrivi_tabella

COLONNE_RICOVERI = ["periodo", "codice_reparto", "codice_patologia", "classe_priorita", "n",
                    "attesa_media", "attesa_mediana", "attesa_p90", "standard_giorni",
                    "quota_entro_standard", "in_attesa", "attesa_massima_in_corso",
                    "fuori_ordine"]

SCHEMA_RICOVERI = pl.Schema({
    "periodo": pl.String, "codice_reparto": pl.String, "codice_patologia": pl.String,
    "classe_priorita": pl.String, "n": pl.Int64, "attesa_media": pl.Float64,
    "attesa_mediana": pl.Float64, "attesa_p90": pl.Int64, "standard_giorni": pl.Int64,
    "quota_entro_standard": pl.Float64, "in_attesa": pl.Int64,
    "attesa_massima_in_corso": pl.Int64, "fuori_ordine": pl.Int64,
})

CHIAVI_RICOVERI = ["codice_reparto", "codice_patologia", "classe_priorita"]


def tabella_ricoveri(lf: pl.LazyFrame, *, profilo: Profilo, periodo: Periodo,
                     fuori_ordine: pl.DataFrame) -> pl.DataFrame:
    """The ricoveri table of one period; `fuori_ordine` is `registro.ordine.fuori_ordine`
    over the whole list (only its admissions in the period are counted)."""
    ultimo = periodo.fine - timedelta(days=1)
    righe = derivati_ricoveri(lf, profilo, ultimo)

    giorno_ricovero = pl.col("data_ricovero").cast(pl.Date)
    ammessi = righe.filter(
        (pl.col("stato") == "ricoverato")
        & giorno_ricovero.is_between(pl.lit(periodo.inizio), pl.lit(periodo.fine),
                                     closed="left"))
    fuori = fuori_ordine.lazy().select(pl.col("id_ricovero").unique(), fuori=pl.lit(1))

    attesa = pl.col("attesa_giorni").cast(pl.Int64)
    conta = pl.len().cast(pl.Int64)
    per_gruppo = ammessi.join(fuori, on="id_ricovero", how="left").group_by(
        CHIAVI_RICOVERI).agg(
        n=conta,
        somma=attesa.sum(),
        attesa_mediana=statistiche.mediana(attesa),
        attesa_p90=statistiche.p90(attesa),
        entro=(attesa <= pl.col("attesa_massima")).sum().cast(pl.Int64),
        con_standard=pl.col("attesa_massima").is_not_null().sum().cast(pl.Int64),
        fuori_ordine=pl.col("fuori").sum().cast(pl.Int64),
    )

    cancellato = pl.col("stato") == "cancellato"
    giorno_ultimo = pl.lit(ultimo, dtype=pl.Date)
    in_lista = (
        (pl.col("data_inserimento").cast(pl.Date) <= giorno_ultimo)
        & ~(giorno_ricovero <= giorno_ultimo).fill_null(False)
        & ~(cancellato & (pl.col("data_cancellazione").cast(pl.Date) <= giorno_ultimo)
            .fill_null(True))
    )
    lista = righe.filter(in_lista).group_by(CHIAVI_RICOVERI).agg(
        in_attesa=conta,
        attesa_massima_in_corso=(giorno_ultimo - pl.col("data_inserimento").cast(pl.Date))
        .dt.total_days().max().cast(pl.Int64),
    )

    gruppi = pl.concat([per_gruppo.select(CHIAVI_RICOVERI), lista.select(CHIAVI_RICOVERI)]
                       ).unique()
    # the group's maximum: one rule per keys, so any row of the group gives it
    standard = gruppi.with_columns(standard_giorni=profilo.attesa_massima_expr())

    n = pl.col("n").fill_null(0)
    return (
        standard
        .join(per_gruppo, on=CHIAVI_RICOVERI, how="left", nulls_equal=True)
        .join(lista, on=CHIAVI_RICOVERI, how="left", nulls_equal=True)
        .select(
            pl.lit(periodo.etichetta, dtype=pl.String).alias("periodo"),
            *CHIAVI_RICOVERI,
            n.alias("n"),
            statistiche.media(pl.col("somma"), pl.col("n")).alias("attesa_media"),
            pl.col("attesa_mediana"),
            pl.col("attesa_p90"),
            pl.col("standard_giorni"),
            pl.when(pl.col("con_standard") > 0)
            .then(statistiche.quota(pl.col("entro"), pl.col("n")))
            .alias("quota_entro_standard"),
            pl.col("in_attesa").fill_null(0),
            pl.col("attesa_massima_in_corso"),
            pl.col("fuori_ordine").fill_null(0),
        )
        .sort(CHIAVI_RICOVERI, nulls_last=False)
        .select(pl.col(c).cast(t) for c, t in SCHEMA_RICOVERI.items())
        .collect()
    )


def scrivi_tabella_ricoveri(df: pl.DataFrame, path: Path,
                            formato: Literal["csv", "json"]) -> Path:
    """Write the table as open data, as the specialistica one is written."""
    return scrivi_tabella(df, path, formato, colonne=COLONNE_RICOVERI)
