"""The ricoveri programmati rules: waits, maximum waits and chronological order (seeds/003 §4.3).

- `derivati_ricoveri`: `attesa_giorni` (calendar days from the date of insertion to the date
  of admission, or to `oggi` while still waiting; null when cancelled), `attesa_massima` (the
  profile's maximum, the most specific of class / ward / pathology) and `superamento`
  (waiting or admitted past the maximum).
- `fuori_ordine`: an admission X *overtook* an entry Y when they share the ward, Y's class is
  the same or more urgent (A < B < C < D), Y was inserted strictly earlier (timestamps: equal
  ones never count) and Y was still waiting on the date of X's admission: on the list by then,
  not admitted on or before that date, not cancelled on or before it. An entry cancelled
  without a cancellation date never counts as waiting (we cannot know until when it was).

Everything is vectorised polars: the pairs come from one range join (`join_where`), never
from a loop over rows.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from registro.rules import attesa
from registro.standards import Profilo

COLONNE_FUORI_ORDINE = ["id_ricovero", "id_scavalcato", "codice_reparto", "classe_priorita",
                        "classe_scavalcato", "data_ricovero", "data_inserimento_scavalcato"]

SCHEMA_FUORI_ORDINE = pl.Schema({
    "id_ricovero": pl.String(), "id_scavalcato": pl.String(), "codice_reparto": pl.String(),
    "classe_priorita": pl.String(), "classe_scavalcato": pl.String(),
    "data_ricovero": pl.Datetime("us"), "data_inserimento_scavalcato": pl.Datetime("us"),
})


def derivati_ricoveri(lf: pl.LazyFrame, profilo: Profilo, oggi: date) -> pl.LazyFrame:
    """Add attesa_giorni, attesa_massima and superamento to the list entries."""
    stato = pl.col("stato")
    return lf.with_columns(
        attesa_giorni=pl.when(stato == "ricoverato")
        .then(attesa(pl.col("data_inserimento"), pl.col("data_ricovero")))
        .when(stato == "in_attesa")
        .then(attesa(pl.col("data_inserimento"), pl.lit(oggi, dtype=pl.Date))),
        attesa_massima=profilo.attesa_massima_expr(),
    ).with_columns(
        superamento=(stato.is_in(["ricoverato", "in_attesa"])
                     & (pl.col("attesa_giorni") > pl.col("attesa_massima"))).fill_null(False),
    )


# Range-join keys. The join must pair entries of the same partition (ward × class of the
# admission) only; `join_where` with an equality predicate would build the whole per-ward
# cross product first (billions of pairs on a large list). Instead the partition number is
# folded into both inequality keys so that an IEJoin on two inequalities alone implies it:
#   k1 = p·_PASSO1 + rank(insertion)        Y.k1 < X.k1  ⇒  Y.p ≤ X.p
#   k2 = p·_PASSO2 + day number (+ offset)  Y.k2 > X.k2  ⇒  Y.p ≥ X.p
# (the rank and the day number always lie inside [0, _PASSO)), so both together mean
# Y.p = X.p, Y inserted before X, Y still waiting after X's admission day.
_PASSO1 = 1 << 32          # > any rank of an insertion timestamp (lists below 4·10⁹ rows)
_SCARTO = 1_000_000        # days: day numbers of years 1000..4000 become positive
_MAI = 3_000_000           # "still waiting": after any real day
_PASSO2 = 4_000_000


def fuori_ordine(lf: pl.LazyFrame) -> pl.DataFrame:
    """One row per (admission out of order, entry it overtook); columns COLONNE_FUORI_ORDINE,
    sorted by id_ricovero, then the overtaken entry's insertion and id."""
    base = lf.select(
        "id_ricovero", "codice_reparto", "classe_priorita", "stato", "data_inserimento",
        "data_ricovero", "data_cancellazione",
        rango=pl.col("data_inserimento").rank("dense").cast(pl.Int64),
    ).filter(pl.col("data_inserimento").is_not_null() & pl.col("codice_reparto").is_not_null()
             & pl.col("classe_priorita").is_not_null()).collect()

    giorno_ricovero = pl.col("data_ricovero").cast(pl.Date).cast(pl.Int64) + _SCARTO
    ammessi = base.lazy().filter((pl.col("stato") == "ricoverato")
                                 & pl.col("data_ricovero").is_not_null())
    # one partition per ward × class of an admission, numbered in a fixed order
    partizioni = (ammessi.select("codice_reparto", "classe_priorita").unique()
                  .sort("codice_reparto", "classe_priorita").with_row_index("p")
                  .with_columns(pl.col("p").cast(pl.Int64)))

    x = ammessi.join(partizioni, on=["codice_reparto", "classe_priorita"]).select(
        "id_ricovero", "codice_reparto", "classe_priorita", "data_ricovero",
        giorno_x=giorno_ricovero,
        k1=pl.col("p") * _PASSO1 + pl.col("rango"),
        k2=pl.col("p") * _PASSO2 + giorno_ricovero,
    )

    cancellato = pl.col("stato") == "cancellato"
    # the first day the entry was no longer waiting (admitted or cancelled that day)
    fine = pl.min_horizontal(
        giorno_ricovero,
        pl.when(cancellato).then(pl.col("data_cancellazione").cast(pl.Date).cast(pl.Int64)
                                 + _SCARTO),
    ).fill_null(_MAI)
    y = (
        base.lazy()
        .filter(~(cancellato & pl.col("data_cancellazione").is_null()))
        .rename({"classe_priorita": "classe_scavalcato"})
        .join(partizioni, on="codice_reparto")
        .filter(pl.col("classe_scavalcato") <= pl.col("classe_priorita"))
        .select(
            pl.col("id_ricovero").alias("id_scavalcato"),
            "classe_scavalcato",
            pl.col("data_inserimento").alias("data_inserimento_scavalcato"),
            giorno_inserimento_y=pl.col("data_inserimento").cast(pl.Date).cast(pl.Int64)
            + _SCARTO,
            k1_y=pl.col("p") * _PASSO1 + pl.col("rango"),
            k2_y=pl.col("p") * _PASSO2 + fine,
        )
    )

    # Collected before any further filter: the optimiser would otherwise fold that filter
    # into the join and pick it as one of the two IEJoin inequalities in place of k1.
    coppie = x.join_where(y, pl.col("k1_y") < pl.col("k1"),
                          pl.col("k2_y") > pl.col("k2")).collect()
    return (
        # on the list by the day of the admission (only bad data could have it otherwise)
        coppie.filter(pl.col("giorno_inserimento_y") <= pl.col("giorno_x"))
        .select(pl.col(c).cast(t) for c, t in SCHEMA_FUORI_ORDINE.items())
        .sort("id_ricovero", "data_inserimento_scavalcato", "id_scavalcato")
    )


def conta_fuori_ordine(df: pl.DataFrame) -> pl.DataFrame:
    """Per admission out of order, how many entries it overtook: id_ricovero, n_scavalcati."""
    return (df.group_by("id_ricovero").agg(n_scavalcati=pl.len().cast(pl.Int64))
            .sort("id_ricovero"))
