"""The waiting-time rules, as pure LazyFrame -> LazyFrame functions.

- attesa_giorni: calendar days from the *date* of booking to the *date* of the appointment
  (a same-day booking waits 0 days; timestamps are never subtracted).
- attesa_da_prescrizione: the same from the prescription date, where present (the second
  clock: the national sample finds very different compliance from it).
- in_garanzia: first access, not the citizen's own choice, and a target applies under the
  profile (carta1995 keeps urgent bookings out, "salvo urgenze", and periodic laboratory
  tests, "fatti salvi esami ... con periodicità programmata", unless a local target names
  their code).
- superamento: in guarantee and waiting more than the target.
"""

from __future__ import annotations

import polars as pl

from registro.standards import Profilo


def attesa(da: pl.Expr, a: pl.Expr) -> pl.Expr:
    """Calendar days between two timestamps' dates."""
    return (a.cast(pl.Date) - da.cast(pl.Date)).dt.total_days().cast(pl.Int32)


def deriva(lf: pl.LazyFrame, profilo: Profilo) -> pl.LazyFrame:
    """Add attesa_giorni, attesa_da_prescrizione, standard_giorni, in_garanzia,
    entro_standard and superamento to bookings that carry their catalog `tipo` (and
    `periodica`; a frame without it has no periodic tests)."""
    return garanzia(lf, profilo).with_columns(
        attesa_giorni=attesa(pl.col("data_prenotazione"), pl.col("data_appuntamento")),
        attesa_da_prescrizione=attesa(pl.col("data_prescrizione"), pl.col("data_appuntamento")),
    ).with_columns(
        entro_standard=pl.when(pl.col("in_garanzia"))
        .then(pl.col("attesa_giorni") <= pl.col("standard_giorni")),
    ).with_columns(
        superamento=pl.col("in_garanzia") & ~pl.col("entro_standard").fill_null(True),
    )


def garanzia(lf: pl.LazyFrame, profilo: Profilo) -> pl.LazyFrame:
    """Add standard_giorni and in_garanzia only (tipo, codice_prestazione, classe_priorita,
    tipo_accesso, scelta_utente, optional periodica): what the chronological order of the
    specialist lists needs over the whole register, without the waits."""
    if "periodica" not in lf.collect_schema():
        lf = lf.with_columns(periodica=pl.lit(False))
    lf = lf.with_columns(standard_giorni=profilo.standard_expr())
    return lf.with_columns(in_garanzia=(
        (pl.col("tipo_accesso").fill_null("primo") == "primo")
        & ~pl.col("scelta_utente").fill_null(False)
        & pl.col("standard_giorni").is_not_null()
    ))
