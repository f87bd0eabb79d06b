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

import numpy as np
import polars as pl

from registro.rules import attesa, garanzia
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


# --- specialist waiting lists in chronological order (seeds/003 §5.1) -------------------------
#
# "Il Direttore Sanitario è responsabile del registro e delle liste di attesa in ordine
# cronologico, salvo patologie di particolare gravità e urgenza". Within one codice_prestazione
# × codice_sede, among the bookings in guarantee still on the agenda or served (stato
# `prenotata`, `erogata`, `non_presentato`), booking B *overtakes* booking A when A was booked
# strictly earlier (data_prenotazione timestamps: equal ones never count), A's appointment
# *date* is later than B's (same day never counts) and B is not more urgent than A
# (U > B > D > P > no class): a freed slot given to whoever called next.

STATI_IN_AGENDA = ("prenotata", "erogata", "non_presentato")
URGENZA = {"U": 4, "B": 3, "D": 2, "P": 1}
"""Urgency rank of a class; a booking without a class ranks 0."""
_LIVELLI_URGENZA = 5
_BIT_CHIAVE = 62   # the packed sort key stays inside a signed 64-bit integer


def in_agenda() -> pl.Expr:
    """The bookings the chronological order applies to (needs `in_garanzia` and `stato`)."""
    return (pl.col("in_garanzia").fill_null(False)
            & pl.col("stato").is_in(STATI_IN_AGENDA)).fill_null(False)


def conta_scavalcati(gruppo: np.ndarray, istante: np.ndarray, giorno: np.ndarray,
                     urgenza: np.ndarray) -> np.ndarray:
    """For each booking, how many of its group it overtook (see above): int64 array.

    `gruppo` any integer code of codice_prestazione × codice_sede, `istante` the booking
    timestamps and `giorno` the appointment days as integers, `urgenza` 0..4 (URGENZA).

    A 3-sided dominance count (earlier booked, later date, at least as urgent) without
    pairs: the day axis is cut bit by bit (at bit k each pair with different days falls in
    exactly one parent block, A in its upper half, B in its lower half). Within a level each
    A is entered once for every urgency it covers (0..its own) and each B once at its own;
    one sort on a packed integer key (group, block, urgency, booking rank, B before A) puts
    before each B exactly the entries of its group, block and urgency booked strictly
    earlier, and a running count gives their number. O(n·log D) sorts with D the number of
    distinct days, all in numpy."""
    n = len(gruppo)
    esito = np.zeros(n, dtype=np.int64)
    if n < 2:
        return esito
    g = np.unique(gruppo, return_inverse=True)[1].astype(np.int64)
    r = np.unique(istante, return_inverse=True)[1].astype(np.int64)
    d = np.unique(giorno, return_inverse=True)[1].astype(np.int64)
    u = np.asarray(urgenza, dtype=np.int64)
    bit_g, bit_r = _bit(int(g.max())), _bit(int(r.max())) + 1   # + the B-before-A bit
    for k in range(_bit(int(d.max()))):
        padre = d >> (k + 1)
        bit_p = _bit(int(padre.max()))
        if bit_g + bit_p + 3 + bit_r > _BIT_CHIAVE:  # pragma: no cover - > 10⁸ groups·days
            raise ValueError("chiave troppo lunga per il conteggio fuori ordine")
        sopra = ((d >> k) & 1).astype(bool)
        a = np.flatnonzero(sopra)
        b = np.flatnonzero(~sopra)
        if a.size == 0 or b.size == 0:
            continue
        copie = u[a] + 1
        a_rip = np.repeat(a, copie)
        livello_u = np.arange(a_rip.size, dtype=np.int64) - np.repeat(
            np.cumsum(copie) - copie, copie)
        chiave_a = ((((g[a_rip] << bit_p | padre[a_rip]) << 3 | livello_u) << bit_r)
                    | r[a_rip] << 1 | 1)
        chiave_b = (((g[b] << bit_p | padre[b]) << 3 | u[b]) << bit_r) | r[b] << 1
        chiavi = np.concatenate([chiave_a, chiave_b])
        ordine = np.argsort(chiavi)
        ordinate = chiavi[ordine]
        e_a = (ordinate & 1).astype(np.int64)
        prima = np.cumsum(e_a) - e_a            # entries A before each position
        blocco = ordinate >> bit_r
        inizio = np.ones(ordinate.size, dtype=bool)
        inizio[1:] = blocco[1:] != blocco[:-1]
        base = np.maximum.accumulate(np.where(inizio, prima, 0))
        e_b = e_a == 0
        esito[b[ordine[e_b] - a_rip.size]] += (prima - base)[e_b]
    return esito


def _bit(massimo: int) -> int:
    return max(1, massimo.bit_length())


def fuori_ordine_prenotazioni(lf: pl.LazyFrame, chiave: str = "id_prenotazione"
                              ) -> pl.DataFrame:
    """`chiave`, fuori_ordine (the number overtaken) for the bookings `in_agenda`;
    `lf` carries `chiave` (id_prenotazione unless told), codice_prestazione, codice_sede,
    classe_priorita, stato, in_garanzia, data_prenotazione and data_appuntamento of the
    whole register."""
    agenda = lf.filter(in_agenda() & pl.col("data_prenotazione").is_not_null()
                       & pl.col("data_appuntamento").is_not_null()).select(
        chiave,
        gruppo=pl.concat_str(pl.col("codice_prestazione").fill_null(""),
                             pl.col("codice_sede").fill_null(""), separator="\x1f"
                             ).cast(pl.Categorical).to_physical(),
        istante=pl.col("data_prenotazione").cast(pl.Datetime("us")).cast(pl.Int64),
        giorno=pl.col("data_appuntamento").cast(pl.Date).cast(pl.Int32),
        urgenza=pl.col("classe_priorita").replace_strict(
            URGENZA, default=0, return_dtype=pl.Int8).fill_null(0),
    ).collect()
    conteggi = conta_scavalcati(agenda["gruppo"].to_numpy(), agenda["istante"].to_numpy(),
                                agenda["giorno"].to_numpy(), agenda["urgenza"].to_numpy())
    return agenda.select(chiave).with_columns(
        fuori_ordine=pl.Series(conteggi, dtype=pl.Int64))


def con_fuori_ordine(lf: pl.LazyFrame, profilo: Profilo) -> pl.LazyFrame:
    """The bookings with `fuori_ordine`: as the last check recorded it when the frame carries
    it (the register's readers do), else counted over the whole frame, so that a period's
    table still counts overtakes of bookings made before the period."""
    if "fuori_ordine" in lf.collect_schema():
        return lf
    riga = "__riga_fuori_ordine"
    lf = lf.with_row_index(riga)
    conteggi = fuori_ordine_prenotazioni(garanzia(lf, profilo), chiave=riga)
    return lf.join(conteggi.lazy(), on=riga, how="left", maintain_order="left").drop(riga)
