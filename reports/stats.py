"""Waiting-time tables of the specialistica register (DESIGN.md "Statistics"), in polars.

One row per codice_prestazione × codice_sede (× classe_priorita when the profile's targets
depend on the class, i.e. pngla), for every group with at least one booking in the period;
statistics over the bookings in guarantee only, bookings outside it counted apart:

- `n`: bookings in guarantee;
- `attesa_media`: mean wait, 1 decimal, rounded **half up** (half away from zero: 2.25 →
  2.3, never banker's 2.2), computed exactly from the integer sum and count, never from a
  float mean;
- `attesa_mediana`: the middle value, or the mean of the two middle values when n is even
  (so it can end in .5);
- `attesa_p90`: nearest rank, the ⌈0.9·n⌉-th smallest wait, with ⌈0.9·n⌉ = (9n + 9) // 10
  computed in integers;
- `standard_giorni`: the group's target when its bookings in guarantee share a single one,
  null otherwise (no booking in guarantee, or — only with an inconsistent catalog `tipo` for
  one code — several targets in one group);
- `quota_entro_standard`: share of bookings in guarantee waiting ≤ their own target,
  3 decimals, half up, exact from integer counts;
- `n_fuori_garanzia`: the group's bookings not in guarantee;
- `quota_fuori_ordine`: share of the bookings in guarantee that overtook at least one booking
  of their agenda booked before them (Carta §5.1, `registro.ordine`: counted over the whole
  agenda, not only the period — as the last `registro check` recorded it when the frame
  carries `fuori_ordine`, as the register's readers do), 3 decimals, half up. Added last:
  the columns before it are a published contract.

When n is 0 the statistics are null. Two readings: *ex ante* (bookings whose
`data_prenotazione` date falls in the period, wait to the assigned date) and *ex post*
(bookings `erogata` whose `data_appuntamento` date falls in the period, wait to delivery).
Waits, targets and the guarantee come from `registro.rules.deriva`, never re-implemented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from registro import statistiche
from registro.csvsafe import scrivi_csv, scrivi_json
from registro.ordine import con_fuori_ordine
from registro.periodo import Periodo
from registro.rules import deriva
from registro.standards import Profilo

COLONNE = ["periodo", "codice_prestazione", "codice_sede", "classe_priorita", "n",
           "attesa_media", "attesa_mediana", "attesa_p90", "standard_giorni",
           "quota_entro_standard", "n_fuori_garanzia", "quota_fuori_ordine"]

SCHEMA = pl.Schema({
    "periodo": pl.String, "codice_prestazione": pl.String, "codice_sede": pl.String,
    "classe_priorita": pl.String, "n": pl.Int64, "attesa_media": pl.Float64,
    "attesa_mediana": pl.Float64, "attesa_p90": pl.Int64, "standard_giorni": pl.Int64,
    "quota_entro_standard": pl.Float64, "n_fuori_garanzia": pl.Int64,
    "quota_fuori_ordine": pl.Float64,
})

CHIAVI = ["codice_prestazione", "codice_sede", "classe_priorita"]

COLONNE_LETTE = ["data_prescrizione", "data_prenotazione", "data_appuntamento",
                 "codice_prestazione", "codice_sede", "classe_priorita", "tipo_accesso",
                 "scelta_utente", "stato", "tipo", "periodica", "fuori_ordine"]
"""What `tabella_prestazioni` reads of the bookings, for `registro.colonnare.prenotazioni(...,
colonne=)`: a reader of a third of the columns holds a third of the register. `periodica`
decides the target of laboratory tests (registro.rules `garanzia`) and `fuori_ordine` is the
count the last check recorded (without it every agenda is counted again): leaving either
out changes the table or its cost without an error (tests/integration/registro/
test_colonnare.py compares the tables)."""

Lettura = Literal["ex_ante", "ex_post"]


def nel_periodo(lettura: Lettura, periodo: Periodo) -> pl.Expr:
    if lettura == "ex_ante":
        giorno = pl.col("data_prenotazione").cast(pl.Date)
        return giorno.is_between(pl.lit(periodo.inizio), pl.lit(periodo.fine), closed="left")
    if lettura == "ex_post":
        giorno = pl.col("data_appuntamento").cast(pl.Date)
        return (pl.col("stato") == "erogata") & giorno.is_between(
            pl.lit(periodo.inizio), pl.lit(periodo.fine), closed="left")
    raise ValueError(f"lettura sconosciuta: {lettura!r} (ammesse: ex_ante, ex_post)")


def tabella_prestazioni(lf: pl.LazyFrame, *, profilo: Profilo, periodo: Periodo,
                        lettura: Lettura = "ex_ante") -> pl.DataFrame:
    """The waiting-time table of one period, one reading, under one standards profile."""
    filtro = nel_periodo(lettura, periodo)
    # Grouping on string codes is the bulk of the work: without class targets (carta1995)
    # the class is not a key at all, and is added back as a null column. The codes may come
    # as Categoricals (registro.colonnare.CODICI): they are text again before the sort.
    chiavi = CHIAVI if profilo.per_classe else CHIAVI[:2]
    lf = con_fuori_ordine(lf, profilo)
    righe = (
        deriva(lf.filter(filtro), profilo)
        .select(*chiavi, pl.col("attesa_giorni").cast(pl.Int64),
                pl.col("standard_giorni").cast(pl.Int64), pl.col("in_garanzia"),
                (pl.col("fuori_ordine").fill_null(0) > 0).alias("scavalca"))
    )

    gruppi = righe.group_by(chiavi).agg(
        n_fuori_garanzia=(~pl.col("in_garanzia")).sum().cast(pl.Int64),
    )

    conta = pl.len().cast(pl.Int64)
    in_garanzia = righe.filter(pl.col("in_garanzia")).group_by(chiavi).agg(
        n=conta,
        somma=pl.col("attesa_giorni").sum(),
        attesa_mediana=statistiche.mediana(pl.col("attesa_giorni")),
        attesa_p90=statistiche.p90(pl.col("attesa_giorni")),
        standard_min=pl.col("standard_giorni").min(),
        standard_max=pl.col("standard_giorni").max(),
        entro=(pl.col("attesa_giorni") <= pl.col("standard_giorni")).sum().cast(pl.Int64),
        scavalcano=pl.col("scavalca").sum().cast(pl.Int64),
    )

    tabella = (
        gruppi.join(in_garanzia, on=chiavi, how="left", nulls_equal=True)
        .select(
            pl.lit(periodo.etichetta, dtype=pl.String).alias("periodo"),
            pl.col("codice_prestazione"), pl.col("codice_sede"),
            (pl.col("classe_priorita") if profilo.per_classe
             else pl.lit(None, dtype=pl.String).alias("classe_priorita")),
            pl.col("n").fill_null(0),
            statistiche.media(pl.col("somma"), pl.col("n")).alias("attesa_media"),
            pl.col("attesa_mediana"),
            pl.col("attesa_p90"),
            pl.when(pl.col("standard_min") == pl.col("standard_max"))
            .then(pl.col("standard_min")).alias("standard_giorni"),
            statistiche.quota(pl.col("entro"), pl.col("n")).alias("quota_entro_standard"),
            pl.col("n_fuori_garanzia"),
            statistiche.quota(pl.col("scavalcano"), pl.col("n")).alias("quota_fuori_ordine"),
        )
        .select(pl.col(c).cast(t) for c, t in SCHEMA.items())
        .sort(CHIAVI, nulls_last=False)
    )
    return tabella.collect()


def scrivi_tabella(df: pl.DataFrame, path: Path, formato: Literal["csv", "json"],
                   colonne: list[str] = COLONNE) -> Path:
    """Write a table as open data, replaced atomically; returns its path.

    CSV through `registro.csvsafe` (UTF-8, header `colonne`, empty cells for nulls, text cells
    starting with = + - @ tab CR prefixed with `'`, numbers untouched); JSON a list of
    objects with the keys `colonne`, values as they are (numbers, null), non-ASCII kept."""
    tabella = df.select(colonne)
    if formato == "csv":
        return scrivi_csv(tabella, path)
    if formato != "json":
        raise ValueError(f"formato sconosciuto: {formato!r} (ammessi: csv, json)")
    return scrivi_json(tabella, path)
