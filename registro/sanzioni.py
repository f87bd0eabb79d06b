"""Bonum, malum and ticket refunds due by Carta dei servizi §5.3/5.5/5.6 and D.L. 73/2024 art. 3.

The Carta (DPCM 19 maggio 1995, seeds/003) promises the citizen a "bonum" when the authority
fails to deliver a booked service and asks a "malum" of a citizen who neither shows up nor
gives notice; D.L. 73/2024 art. 3 (L. 107/2024) replaces the malum with the ordinary ticket
and drops the cash bonum. This module says which records each booking makes due; pure
polars, no database.

`sanzioni_dovute` turns bookings into the records due (one row per record, integer cents,
never a zero amount); `riconcilia` compares them with the live records of the register and
says what to issue and what to annul (a correction annuls and reissues; nothing is deleted).

Regime `carta1995` (default; amounts are settings, 25,82 € = L. 50.000):
- `annullata_ente`: `bonum` unless the `causale_annullamento` (case and surrounding spaces
  ignored) is exempt (default `emergenza`); `rimborso_ticket` (the ticket paid) when the
  citizen renounces (`esito_annullamento = rinuncia`), exempt causale or not (§5.5: "salvo
  rimborso del ticket se l'utente rinuncia"; the exemption only removes the bonum);
  `riprogrammata` -> the bonum *instead of* the ticket refund (§5.6); no esito -> bonum only.
- `non_presentato` -> `malum` (the full amount) and, when the ticket paid exceeds it,
  `rimborso_differenza` = ticket - malum (§5.6). What the citizen still owes,
  max(0, malum - ticket), is information, not a record.
- `disdetta_utente` at least `preavviso_ore` before the appointment (timestamps compared;
  exactly 48:00 is timely) -> `rimborso_ticket` (§5.5); later -> nothing (notice was
  given: no malum, no refund).
- `forza_maggiore` is a D.L. 73/2024 notion: the Carta has no such exception, so under
  carta1995 the flag is ignored (a documented no-show still gets the malum).

Regime `dl73`:
- a cancellation is timely when its *date* is on or before the 2nd working day strictly
  before the appointment's date (registro.festivi: Sundays, national holidays, the patron
  saint's day and, by setting, Saturdays are not working days);
- `non_presentato`, or `disdetta_utente` not timely, without `forza_maggiore` -> `malum` =
  `quota_ordinaria` (owed even by exempt citizens, ticket 0) and `rimborso_differenza` =
  ticket - quota when the ticket exceeds it. A null `quota_ordinaria` is unknown: no
  record at all (neither charge nor refund on a missing amount); a quota of 0 gives no
  malum record but still the refund of the difference;
- timely `disdetta_utente` -> `rimborso_ticket`; `annullata_ente` -> no bonum (dl73 has no
  cash bonum: the *percorso di tutela* flag is computed elsewhere), `rimborso_ticket` when
  the citizen renounces.

In both regimes a `disdetta_utente` without `data_disdetta` gives nothing: its timeliness
cannot be proved either way (the ingest requires the date for that state). `erogata`,
`prenotata` and unknown states give nothing. A ticket that is null counts as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import polars as pl

from registro.festivi import festivi, termini_disdetta
from registro.money import cents

if TYPE_CHECKING:
    from registro.settings import Settings

GIORNI_LAVORATIVI_DL73 = 2
"""D.L. 73/2024 art. 3: notice of at least two working days."""

COLONNE_INGRESSO: dict[str, pl.DataType] = {
    "id_prenotazione": pl.String(),
    "stato": pl.String(),
    "data_appuntamento": pl.Datetime("us"),
    "data_disdetta": pl.Datetime("us"),
    "esito_annullamento": pl.String(),
    "causale_annullamento": pl.String(),
    "importo_ticket_cent": pl.Int64(),
    "quota_ordinaria_cent": pl.Int64(),
    "forza_maggiore": pl.Boolean(),
}
OBBLIGATORIE = ("id_prenotazione", "stato", "data_appuntamento")
SCHEMA_USCITA: dict[str, pl.DataType] = {
    "id_prenotazione": pl.String(),
    "tipo": pl.String(),
    "importo_cent": pl.Int64(),
    "motivo": pl.String(),
}

CARTA_BONUM = "Carta dei servizi §5.6"
CARTA_RIMBORSO = "Carta dei servizi §5.5"
DL73 = "D.L. 73/2024 art. 3"


@dataclass(frozen=True)
class RegimeSanzioni:
    """Which rules apply and with which amounts (integer cents)."""

    regime: Literal["carta1995", "dl73"] = "carta1995"
    bonum_cent: int = 2582
    malum_cent: int = 2582
    preavviso_ore: int = 48
    causali_esenti: frozenset[str] = field(default_factory=lambda: frozenset({"emergenza"}))
    sabato_lavorativo: bool = False
    patrono: str | None = None

    def __post_init__(self) -> None:
        if self.regime not in ("carta1995", "dl73"):
            raise ValueError(f"regime sanzioni sconosciuto: {self.regime!r}")
        if min(self.bonum_cent, self.malum_cent, self.preavviso_ore) < 0:
            raise ValueError("importi e preavviso non possono essere negativi")
        if self.patrono:
            festivi(2024, self.patrono)  # a malformed MM-DD fails here, not mid-run

    @classmethod
    def from_settings(cls, settings: Settings) -> RegimeSanzioni:
        return cls(
            regime=settings.regime_sanzioni,
            bonum_cent=cents(settings.bonum),
            malum_cent=cents(settings.malum),
            preavviso_ore=settings.preavviso_ore,
            causali_esenti=frozenset(settings.causali_esenti),
            sabato_lavorativo=settings.sabato_lavorativo,
            patrono=settings.patrono,
        )

    def esenti_normalizzate(self) -> list[str]:
        """The exempt causali as compared: stripped, lower case."""
        return sorted({c.strip().lower() for c in self.causali_esenti})


def _prepara(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The input columns with their dtypes; optional columns missing from `lf` are null."""
    schema = lf.collect_schema()
    mancanti = [c for c in OBBLIGATORIE if c not in schema]
    if mancanti:
        raise ValueError(f"sanzioni_dovute: colonne mancanti {', '.join(mancanti)}")
    return lf.select(
        (pl.col(nome) if nome in schema else pl.lit(None)).cast(tipo).alias(nome)
        for nome, tipo in COLONNE_INGRESSO.items()
    )


def _record(lf: pl.LazyFrame, tipo: str, importo: pl.Expr, motivo: pl.Expr) -> pl.LazyFrame:
    return lf.select(
        pl.col("id_prenotazione"),
        pl.lit(tipo, dtype=pl.String).alias("tipo"),
        importo.cast(pl.Int64).alias("importo_cent"),
        motivo.cast(pl.String).alias("motivo"),
    )


def _carta1995(lf: pl.LazyFrame, regime: RegimeSanzioni) -> list[pl.LazyFrame]:
    stato, esito = pl.col("stato"), pl.col("esito_annullamento")
    ticket = pl.col("importo_ticket_cent")
    annullata = stato == "annullata_ente"
    rinuncia = annullata & (esito == "rinuncia")
    non_presentato = stato == "non_presentato"
    preavviso = pl.duration(hours=regime.preavviso_ore)
    tempestiva = (
        (stato == "disdetta_utente")
        & ((pl.col("data_appuntamento") - pl.col("data_disdetta")) >= preavviso).fill_null(False)
    )
    ore = regime.preavviso_ore

    bonum = _record(
        lf, "bonum",
        pl.when(annullata & ~pl.col("_esente")).then(pl.lit(regime.bonum_cent)),
        pl.when(esito == "rinuncia").then(pl.lit(
            f"Prestazione annullata dall'ente, rinuncia dell'utente: bonum per il disagio "
            f"({CARTA_BONUM})"))
        .when(esito == "riprogrammata").then(pl.lit(
            f"Prestazione annullata dall'ente e riprogrammata con procedura preferenziale: "
            f"bonum in luogo del rimborso del ticket ({CARTA_BONUM})"))
        .otherwise(pl.lit(
            f"Prestazione annullata dall'ente: bonum per il disagio ({CARTA_BONUM})")),
    )
    rimborso = _record(
        lf, "rimborso_ticket",
        pl.when(rinuncia | tempestiva).then(ticket),
        pl.when(rinuncia).then(pl.lit(
            f"Prestazione annullata dall'ente, rinuncia dell'utente: rimborso del ticket "
            f"versato ({CARTA_RIMBORSO})"))
        .otherwise(pl.lit(
            f"Disdetta dell'utente con almeno {ore} ore di preavviso: rimborso del ticket "
            f"versato ({CARTA_RIMBORSO})")),
    )
    malum = _record(
        lf, "malum",
        pl.when(non_presentato).then(pl.lit(regime.malum_cent)),
        pl.lit(f"Utente non presentato senza preavviso: malum ({CARTA_BONUM})"),
    )
    differenza = _record(
        lf, "rimborso_differenza",
        pl.when(non_presentato).then(ticket - regime.malum_cent),
        pl.lit(f"Utente non presentato: restituzione della differenza tra ticket versato e "
               f"malum ({CARTA_BONUM})"),
    )
    return [bonum, malum, rimborso, differenza]


def _dl73(lf: pl.LazyFrame, regime: RegimeSanzioni) -> list[pl.LazyFrame]:
    stato, esito = pl.col("stato"), pl.col("esito_annullamento")
    ticket, quota = pl.col("importo_ticket_cent"), pl.col("quota_ordinaria_cent")
    disdetta = (stato == "disdetta_utente") & pl.col("data_disdetta").is_not_null()
    entro_termine = (pl.col("data_disdetta").cast(pl.Date) <= pl.col("_termine")).fill_null(False)
    tempestiva = disdetta & entro_termine
    tardiva = disdetta & ~entro_termine
    non_presentato = stato == "non_presentato"
    inadempiente = (non_presentato | tardiva) & ~pl.col("forza_maggiore") & quota.is_not_null()
    rinuncia = (stato == "annullata_ente") & (esito == "rinuncia")
    quando = (pl.when(non_presentato).then(pl.lit("Utente non presentato senza disdetta"))
              .otherwise(pl.lit(f"Disdetta tardiva (meno di {GIORNI_LAVORATIVI_DL73} giorni "
                                "lavorativi prima)")))

    malum = _record(
        lf, "malum",
        pl.when(inadempiente).then(quota),
        pl.concat_str(quando, pl.lit(f": quota ordinaria dovuta anche se esente ({DL73})")),
    )
    differenza = _record(
        lf, "rimborso_differenza",
        pl.when(inadempiente).then(ticket - quota),
        pl.concat_str(quando, pl.lit(f": restituzione della differenza tra ticket versato e "
                                     f"quota ordinaria ({DL73})")),
    )
    rimborso = _record(
        lf, "rimborso_ticket",
        pl.when(rinuncia | tempestiva).then(ticket),
        pl.when(rinuncia).then(pl.lit(
            f"Prestazione annullata dall'ente, rinuncia dell'utente: rimborso del ticket "
            f"versato ({CARTA_RIMBORSO})"))
        .otherwise(pl.lit(
            f"Disdetta tempestiva (almeno {GIORNI_LAVORATIVI_DL73} giorni lavorativi prima): "
            f"rimborso del ticket versato ({DL73})")),
    )
    return [malum, rimborso, differenza]


def _con_termine(lf: pl.LazyFrame, regime: RegimeSanzioni) -> pl.LazyFrame:
    """Join `_termine`, the last timely cancellation date, on the distinct appointment dates
    of the cancelled bookings (working days computed once per date, not per row)."""
    data = pl.col("data_appuntamento").cast(pl.Date)
    date_app = (
        lf.filter((pl.col("stato") == "disdetta_utente") & pl.col("data_disdetta").is_not_null())
        .select(data.unique())
        .collect()
        .to_series()
    )
    termini = termini_disdetta(
        date_app, GIORNI_LAVORATIVI_DL73,
        sabato_lavorativo=regime.sabato_lavorativo, patrono=regime.patrono,
    ).rename({"data": "_data_app", "termine": "_termine"})
    return lf.with_columns(data.alias("_data_app")).join(
        termini.lazy(), on="_data_app", how="left", maintain_order="left"
    )


def sanzioni_dovute(lf: pl.LazyFrame, regime: RegimeSanzioni) -> pl.LazyFrame:
    """The records due for the bookings in `lf` under `regime` (see the module docstring):
    columns id_prenotazione, tipo, importo_cent (Int64, always > 0), motivo; grouped by
    tipo, bookings in input order within each tipo."""
    base = _prepara(lf).with_columns(
        pl.col("importo_ticket_cent").fill_null(0),
        pl.col("forza_maggiore").fill_null(False),
        _esente=pl.col("causale_annullamento").str.strip_chars().str.to_lowercase()
        .is_in(pl.Series(regime.esenti_normalizzate(), dtype=pl.String).implode())
        .fill_null(False),
    )
    if regime.regime == "dl73":
        parti = _dl73(_con_termine(base, regime), regime)
    else:
        parti = _carta1995(base, regime)
    return pl.concat(parti, how="vertical").filter(pl.col("importo_cent") > 0)


def riconcilia(
    dovute: pl.DataFrame,
    vive: pl.DataFrame,
    prenotazioni: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What to do to the register so that its live records are exactly the records due.

    `dovute`: output of `sanzioni_dovute` (at most one per (id_prenotazione, tipo); should
    there be more, the first wins). `vive`: the live records (columns id, id_prenotazione,
    tipo, importo_cent, ...). `prenotazioni`: the bookings checked in this run; when given,
    only records of those bookings are considered (on both sides) and the others are left
    alone. A live record is confirmed when a record is due for its (booking, tipo) with the
    same amount (the motivo is not compared: rewording it reissues nothing); one per key
    (the lowest id) if several.

    Returns `(da_emettere, da_annullare)`: the due records with no confirmed live record
    (columns of `dovute`), and the ids (column `id`, Int64, sorted) of the live records
    not confirmed: no longer due, amount changed, or duplicates. Applying both and running
    again gives two empty frames.
    """
    chiave = ["id_prenotazione", "tipo"]
    dov = dovute.with_columns(
        pl.col("id_prenotazione").cast(pl.String), pl.col("tipo").cast(pl.String),
        pl.col("importo_cent").cast(pl.Int64),
    )
    viv = vive.select(
        pl.col("id").cast(pl.Int64), pl.col("id_prenotazione").cast(pl.String),
        pl.col("tipo").cast(pl.String), pl.col("importo_cent").cast(pl.Int64),
    )
    if prenotazioni is not None:
        controllate = prenotazioni.cast(pl.String).implode()
        viv = viv.filter(pl.col("id_prenotazione").is_in(controllate).fill_null(False))
        dov = dov.filter(pl.col("id_prenotazione").is_in(controllate).fill_null(False))
    dov = dov.unique(subset=chiave, keep="first", maintain_order=True)

    confermate = (
        viv.join(dov.select(*chiave, pl.col("importo_cent").alias("_dovuto")),
                 on=chiave, how="inner")
        .filter(pl.col("importo_cent") == pl.col("_dovuto"))
        .group_by(chiave)
        .agg(pl.col("id").min())
    )
    da_annullare = (
        viv.filter(~pl.col("id").is_in(confermate["id"].implode()).fill_null(False))
        .select("id")
        .sort("id")
    )
    da_emettere = dov.join(confermate.select(chiave), on=chiave, how="anti",
                           maintain_order="left")
    return da_emettere, da_annullare
