"""Bonum, malum, ticket refunds and reports not collected, by Carta dei servizi §5.3/5.5/5.6
and D.L. 73/2024 art. 3.

The Carta (DPCM 19 maggio 1995, seeds/003) promises the citizen a "bonum" when the authority
fails to deliver a booked service (§5.6; the booking sheet warns of it, §5.3) and asks a
"malum" of a citizen who neither shows up nor gives notice (§5.6 "non si presenti, né
preannunci"; §5.3 "rinuncia alla prestazione, senza averne data tempestiva comunicazione");
D.L. 73/2024 art. 3 (L. 107/2024) replaces the malum with the ordinary ticket and drops the
cash bonum. This module says which records each booking makes due; pure polars, no database.

`sanzioni_dovute` turns bookings into the records due at a reference date `oggi` (one row
per record, integer cents, never a zero amount); `riconcilia` compares them with the live
records of the register and says what to issue and what to annul (a correction annuls and
reissues; nothing is deleted).

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
  exactly 48:00 is timely) -> `rimborso_ticket` (§5.5 "la comunicazione dell'assenza
  congruamente data dà diritto alla restituzione del ticket"). The Carta sets no number of
  hours ("tempestivamente"): `preavviso_ore` is the authority's setting. Less notice, or a
  cancellation dated after the appointment -> the records of a no-show, `malum` and
  `rimborso_differenza` (§5.3: rinuncia "senza averne data tempestiva comunicazione" costs
  "la stessa cifra"; §5.6 "né preannunci").
- An appointment without a time reaches the engine at 00:00 (the CUP layout's date-only
  form; no service is booked at midnight): for the notice it is taken at the *end* of its
  day, 24:00, in the citizen's favour.
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

Both regimes:
- nothing is issued for what has not happened yet: a no-show or a late cancellation whose
  appointment's date is after `oggi` gives no record (the check reports bookings still
  `prenotata` after their appointment; it never sanctions them);
- reports not collected (§5.6 "l'utente è altresì tenuto al pagamento a tariffa intera
  della prestazione per i referti non ritirati"; term `termine_ritiro_referto_giorni`, 30
  by L. 412/1991 art. 4 c. 18, counted from the day of the service): an `erogata` booking
  whose export tracks the collection (`ritiro_referto_tracciato`: the file carried the
  column `data_ritiro_referto`) and whose report was collected after the term, or not at
  all once the term has passed at `oggi`, -> `referto_non_ritirato` = catalog `tariffa` -
  ticket paid (an exempt citizen owes the whole tariff; a null tariff is unknown: no
  record). A booking from an export without the column gives nothing: an empty value
  there means "not tracked", not "not collected".

In both regimes a `disdetta_utente` without `data_disdetta` gives nothing: its timeliness
cannot be proved either way (the ingest requires the date for that state). `prenotata` and
unknown states give nothing. A ticket that is null counts as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from registro.festivi import festivi, termini_disdetta
from registro.money import cents
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
    "data_ritiro_referto": pl.Date(),
    "ritiro_referto_tracciato": pl.Boolean(),
    "tariffa_cent": pl.Int64(),
}
OBBLIGATORIE = ("id_prenotazione", "stato", "data_appuntamento")
SCHEMA_USCITA: dict[str, pl.DataType] = {
    "id_prenotazione": pl.String(),
    "tipo": pl.String(),
    "importo_cent": pl.Int64(),
    "motivo": pl.String(),
}

CARTA_BONUM = "Carta dei servizi §5.6"
CARTA_MALUM = "Carta dei servizi §5.6"
CARTA_TARDIVA = "Carta dei servizi §5.3, §5.6"
CARTA_RIMBORSO = "Carta dei servizi §5.5"
CARTA_REFERTI = "Carta dei servizi §5.6; L. 412/1991 art. 4 c. 18"
DL73 = "D.L. 73/2024 art. 3"
PREAVVISO_DELL_ENTE = "preavviso fissato dall'ente: la Carta chiede una comunicazione tempestiva"


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
    termine_ritiro_referto_giorni: int = 30
    """Days from the service within which the report must be collected (L. 412/1991)."""

    def __post_init__(self) -> None:
        if self.regime not in ("carta1995", "dl73"):
            raise ValueError(f"regime sanzioni sconosciuto: {self.regime!r}")
        if min(self.bonum_cent, self.malum_cent, self.preavviso_ore,
               self.termine_ritiro_referto_giorni) < 0:
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
            termine_ritiro_referto_giorni=settings.termine_ritiro_referto_giorni,
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
    """The records of one tipo, only where an amount is due: the filter comes before the
    motivo, so the long text is built for the few rows that owe something rather than for
    every booking of the pass (five texts per booking were 1.3 GB of a 2 M-booking pass)."""
    return lf.with_columns(importo.cast(pl.Int64).alias("_importo")).filter(
        pl.col("_importo") > 0
    ).select(
        pl.col("id_prenotazione"),
        pl.lit(tipo, dtype=pl.String).alias("tipo"),
        pl.col("_importo").alias("importo_cent"),
        motivo.cast(pl.String).alias("motivo"),
    )


def appuntamento_per_preavviso(data_appuntamento: pl.Expr) -> pl.Expr:
    """The moment the notice is counted back from: the appointment's time, or the end of its
    day (24:00) when it has none (the layout's date-only form arrives as 00:00) - in the
    citizen's favour."""
    senza_ora = data_appuntamento.dt.time() == pl.time(0, 0, 0)
    return (pl.when(senza_ora)
            .then(data_appuntamento.dt.truncate("1d") + pl.duration(days=1))
            .otherwise(data_appuntamento))


def _rimborso_ticket(lf: pl.LazyFrame, *, rinuncia: pl.Expr, tempestiva: pl.Expr,
                     perche_tempestiva: str) -> pl.LazyFrame:
    """The ticket paid, given back: both regimes refund it on the citizen's renunciation of a
    booking the authority cancelled and on a timely cancellation; only the second's reason
    (the notice each regime asks for) differs."""
    return _record(
        lf, "rimborso_ticket",
        pl.when(rinuncia | tempestiva).then(pl.col("importo_ticket_cent")),
        pl.when(rinuncia).then(pl.lit(
            f"Prestazione annullata dall'ente, rinuncia dell'utente: rimborso del ticket "
            f"versato ({CARTA_RIMBORSO})"))
        .otherwise(pl.lit(perche_tempestiva)),
    )


def _carta1995(lf: pl.LazyFrame, regime: RegimeSanzioni) -> list[pl.LazyFrame]:
    stato, esito = pl.col("stato"), pl.col("esito_annullamento")
    ticket = pl.col("importo_ticket_cent")
    annullata = stato == "annullata_ente"
    rinuncia = annullata & (esito == "rinuncia")
    non_presentato = stato == "non_presentato"
    preavviso = pl.duration(hours=regime.preavviso_ore)
    disdetta = (stato == "disdetta_utente") & pl.col("data_disdetta").is_not_null()
    anticipo = pl.col("_appuntamento_preavviso") - pl.col("data_disdetta")
    tempestiva = disdetta & (anticipo >= preavviso).fill_null(False)
    dopo = disdetta & (pl.col("data_disdetta") > pl.col("data_appuntamento")).fill_null(False)
    tardiva = disdetta & ~tempestiva
    inadempiente = (non_presentato | tardiva) & pl.col("_avvenuto")
    ore = regime.preavviso_ore
    quando = (
        pl.when(non_presentato).then(pl.lit("Utente non presentato senza preavviso"))
        .when(dopo).then(pl.lit("Disdetta dell'utente dopo l'appuntamento, come una mancata "
                                "presentazione"))
        .otherwise(pl.lit(f"Disdetta dell'utente con meno di {ore} ore di preavviso "
                          f"({PREAVVISO_DELL_ENTE})"))
    )
    fonte = pl.when(non_presentato).then(pl.lit(CARTA_MALUM)).otherwise(pl.lit(CARTA_TARDIVA))

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
    rimborso = _rimborso_ticket(
        lf, rinuncia=rinuncia, tempestiva=tempestiva,
        perche_tempestiva=f"Disdetta dell'utente con almeno {ore} ore di preavviso "
                          f"({PREAVVISO_DELL_ENTE}): rimborso del ticket versato "
                          f"({CARTA_RIMBORSO})")
    malum = _record(
        lf, "malum",
        pl.when(inadempiente).then(pl.lit(regime.malum_cent)),
        pl.concat_str(quando, pl.lit(": malum ("), fonte, pl.lit(")")),
    )
    differenza = _record(
        lf, "rimborso_differenza",
        pl.when(inadempiente).then(ticket - regime.malum_cent),
        pl.concat_str(quando, pl.lit(": restituzione della differenza tra ticket versato e "
                                     "malum ("), fonte, pl.lit(")")),
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
    inadempiente = ((non_presentato | tardiva) & pl.col("_avvenuto") & ~pl.col("forza_maggiore")
                    & quota.is_not_null())
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
    rimborso = _rimborso_ticket(
        lf, rinuncia=rinuncia, tempestiva=tempestiva,
        perche_tempestiva=f"Disdetta tempestiva (almeno {GIORNI_LAVORATIVI_DL73} giorni "
                          f"lavorativi prima): rimborso del ticket versato ({DL73})")
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


def _referti(lf: pl.LazyFrame, regime: RegimeSanzioni, oggi: date) -> pl.LazyFrame:
    """`referto_non_ritirato`, in both regimes (see the module docstring)."""
    giorni = regime.termine_ritiro_referto_giorni
    scadenza = pl.col("data_appuntamento").cast(pl.Date) + pl.duration(days=giorni)
    ritiro = pl.col("data_ritiro_referto")
    non_ritirato = (
        (pl.col("stato") == "erogata") & pl.col("ritiro_referto_tracciato")
        & (pl.when(ritiro.is_null()).then(pl.lit(oggi) > scadenza).otherwise(ritiro > scadenza))
    ).fill_null(False)
    dovuto = pl.max_horizontal(pl.col("tariffa_cent") - pl.col("importo_ticket_cent"), 0)
    return _record(
        lf, "referto_non_ritirato",
        pl.when(non_ritirato).then(pl.when(pl.col("tariffa_cent").is_not_null()).then(dovuto)),
        pl.when(ritiro.is_null()).then(pl.lit(
            f"Referto non ritirato entro {giorni} giorni dalla prestazione: tariffa intera, "
            f"dedotto il ticket versato ({CARTA_REFERTI})"))
        .otherwise(pl.lit(
            f"Referto ritirato oltre {giorni} giorni dalla prestazione: tariffa intera, "
            f"dedotto il ticket versato ({CARTA_REFERTI})")),
    )


def sanzioni_dovute(lf: pl.LazyFrame, regime: RegimeSanzioni, oggi: date) -> pl.LazyFrame:
    """The records due for the bookings in `lf` under `regime` at the reference date `oggi`
    (see the module docstring): columns id_prenotazione, tipo, importo_cent (Int64, always
    > 0), motivo; grouped by tipo, bookings in input order within each tipo.

    `oggi` decides what has happened (an appointment after it is not yet a no-show) and
    whether a report's term has run out; it is not the records' issue date."""
    base = _prepara(lf).with_columns(
        pl.col("importo_ticket_cent").fill_null(0),
        pl.col("forza_maggiore").fill_null(False),
        pl.col("ritiro_referto_tracciato").fill_null(False),
        _esente=pl.col("causale_annullamento").str.strip_chars().str.to_lowercase()
        .is_in(pl.Series(regime.esenti_normalizzate(), dtype=pl.String).implode())
        .fill_null(False),
        _avvenuto=(pl.col("data_appuntamento").cast(pl.Date) <= pl.lit(oggi)).fill_null(False),
        _appuntamento_preavviso=appuntamento_per_preavviso(pl.col("data_appuntamento")),
    )
    if regime.regime == "dl73":
        parti = _dl73(_con_termine(base, regime), regime)
    else:
        parti = _carta1995(base, regime)
    parti.append(_referti(base, regime, oggi))
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
