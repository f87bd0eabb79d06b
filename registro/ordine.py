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

from collections.abc import Callable
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
    pairs. The urgency side is taken one threshold at a time: the bookings of urgency s
    count among those of urgency ≥ s only, so each threshold is a 2-sided count on a subset
    that shrinks as s grows (on the synthetic register's agendas 100 %, 84 %, 58 %, 21 %:
    2.6 passes in all; a register whose bookings mostly carry no class needs little more
    than one); the kernel this replaced entered each booking once per urgency it covered
    too, but sorted everything again at every day bit. One sort by (group,
    timestamp, day) fixes the order for every threshold; ties of timestamp go by day, so
    "earlier in that order with a later day" is exactly "booked strictly earlier with a later
    day" (`_scavalcati_ordinati`)."""
    n = len(gruppo)
    esito = np.zeros(n, dtype=np.int64)
    if n < 2:
        return esito
    g = _rango_denso(np.asarray(gruppo, dtype=np.int64))
    d = _rango_denso(np.asarray(giorno, dtype=np.int64))
    ordine = _ordine(g, np.asarray(istante, dtype=np.int64), d)
    g = g[ordine]
    d = d[ordine]
    u = np.asarray(urgenza, dtype=np.int8)[ordine]
    for soglia in np.flatnonzero(np.bincount(u, minlength=1)):
        scelti = np.flatnonzero(u >= soglia) if soglia else np.arange(n)
        contati = _scavalcati_ordinati(g[scelti], d[scelti])
        proprie = u[scelti] == soglia
        esito[ordine[scelti[proprie]]] = contati[proprie]
    return esito


def _ordine(g: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The positions sorted by (group, timestamp, day): one sort of a packed 64-bit key
    (group, timestamp), then the runs of equal keys (bookings of one agenda made in the same
    instant: few) sorted by day among themselves; three columns sorted by polars when the
    key does not fit."""
    t_min = int(t.min())
    bit_t = (int(t.max()) - t_min).bit_length()
    if int(g.max()).bit_length() + bit_t > 62:
        return pl.DataFrame({"g": g, "t": t, "d": d}).select(
            pl.arg_sort_by("g", "t", "d")).to_series().to_numpy()
    chiave = (g.astype(np.int64) << bit_t) | (t - t_min)
    ordine = np.argsort(chiave)
    chiave = chiave[ordine]
    pari = chiave[1:] == chiave[:-1]
    if pari.any():
        in_pari = np.zeros(chiave.size, dtype=bool)
        in_pari[1:] = pari
        in_pari[:-1] |= pari
        dove = np.flatnonzero(in_pari)
        ordine[dove] = ordine[dove[np.lexsort((d[ordine[dove]], chiave[dove]))]]
    return ordine


def _scavalcati_ordinati(g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """For each position i, how many earlier positions of the same group have a larger day:
    `g` sorted (equal groups contiguous), `d` non-negative day ranks.

    A merge sort on the day axis from its top bit down, vectorised: the array is kept sorted
    by (group, day >> (k+1), position), and each such block is split in two by bit k with a
    stable partition (no sort). Every pair with different days is seen exactly once, at
    the highest bit where they differ, in the same block: the later day has bit k = 1. So at
    bit k each element with bit 0 counts the elements with bit 1 before it in its block, a
    running sum. O(n·log D) linear passes, D the number of distinct days."""
    m = g.size
    if m >= 2**31 - 1:  # pragma: no cover - two billion bookings on the register
        raise ValueError("troppe prenotazioni per il conteggio fuori ordine")
    pos = np.arange(m, dtype=np.int32)
    inizio = np.empty(m, dtype=bool)                # first position of each block
    if m:
        inizio[0] = True
        np.not_equal(g[1:], g[:-1], out=inizio[1:])
    originale = pos.copy()                          # where each position came from
    giorni = d.astype(np.int32)
    conta = np.zeros(m, dtype=np.int32)
    uni = np.zeros(m + 1, dtype=np.int32)           # ones before each position, and in all
    for k in reversed(range(int(giorni.max(initial=0)).bit_length())):
        bit = (giorni >> k) & 1
        inizi = np.flatnonzero(inizio).astype(np.int32)
        blocco = np.cumsum(inizio, dtype=np.int32) - 1
        fini = np.empty_like(inizi)
        fini[:-1] = inizi[1:]
        fini[-1] = m
        np.cumsum(bit, out=uni[1:])
        prima = uni[inizi]                          # ones before each block
        tagli = fini - (uni[fini] - prima)          # where each block's ones will start
        sopra_prima = uni[:-1] - prima[blocco]      # ones before, in the block
        zero = bit == 0
        conta += np.where(zero, sopra_prima, 0)
        nuova = np.where(zero, pos - sopra_prima, tagli[blocco] + sopra_prima)
        originale, giorni, conta = (_sparso(a, nuova) for a in (originale, giorni, conta))
        inizio[tagli[(tagli > inizi) & (tagli < fini)]] = True
    esito = np.empty(m, dtype=np.int64)
    esito[originale] = conta
    return esito


def _sparso(valori: np.ndarray, dove: np.ndarray) -> np.ndarray:
    esito = np.empty_like(valori)
    esito[dove] = valori
    return esito


def _rango_denso(valori: np.ndarray) -> np.ndarray:
    """0, 1, 2… in the order of the distinct values (int32): a lookup table when the range
    is narrow (days of a few years), a sort otherwise."""
    if valori.size == 0:
        return np.zeros(0, dtype=np.int32)
    minimo, massimo = int(valori.min()), int(valori.max())
    if massimo - minimo <= 4 * valori.size + 1024:
        presenti = np.zeros(massimo - minimo + 1, dtype=bool)
        presenti[valori - minimo] = True
        return (np.cumsum(presenti, dtype=np.int32) - 1)[valori - minimo]
    return np.unique(valori, return_inverse=True)[1].reshape(-1).astype(np.int32)


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


# --- overtakes between two sets: the incremental recount after a CUP delta ------------------
#
# After a delta only the pairs with a changed booking are new: an unchanged booking X gains
# the changed bookings (new versions) it overtook and loses the old versions it had
# overtaken; a changed booking is counted against its whole agenda. Both are "for each a of
# A, the weight of the b of B it overtook", one side small (the delta) and the other large
# (the agendas it touched). The answer for a depends on b only through where b's timestamp
# and day fall among the *small* side's values of their agenda, so the large side is folded
# into a table per agenda of (timestamp slot × day slot × urgency) cells, summed along its
# three axes; each booking of the large side is then one lookup or one increment. The table
# has (k+1)·(min(k, days)+1)·5 cells for an agenda with k bookings on the small side: small
# when the delta is spread over many agendas, as nightly deltas are; the caller falls back
# to counting the touched agendas whole when it is not (`celle_massime`).

URGENZE = 5
"""Urgency ranks 0..4 (URGENZA, 0 without a class)."""


def conta_scavalcati_tra(a: dict[str, np.ndarray], b: dict[str, np.ndarray], pesi: np.ndarray,
                         *, piccolo: str, celle_massime: int) -> np.ndarray | None:
    """For each booking a of A, Σ pesi[b] over the bookings b of B that a overtook (same
    `gruppo`, b booked strictly earlier, b's day strictly later, b at least as urgent as a):
    int64 array aligned with A; None when the table would exceed `celle_massime` cells.

    `a` and `b` map "gruppo", "istante", "giorno", "urgenza" to arrays (integers; groups
    coded alike on both sides). `piccolo` ("a" or "b") names the side whose values slot the
    table: the result is the same either way, the cost is not."""
    n_a = len(a["gruppo"])
    esito = np.zeros(n_a, dtype=np.int64)
    if n_a == 0 or len(b["gruppo"]) == 0:
        return esito
    s = a if piccolo == "a" else b
    g_a, g_b = (np.asarray(x["gruppo"], dtype=np.int64) for x in (a, b))
    g_s = np.asarray(s["gruppo"], dtype=np.int64)
    # dense group codes over the small side; the other side's rows of other groups drop out
    gruppi = np.unique(g_s)
    pos_a, ok_a = _posizione(gruppi, g_a)
    pos_b, ok_b = _posizione(gruppi, g_b)
    if not ok_a.any() or not ok_b.any():
        return esito
    n_g = gruppi.size
    gs, ga, gb = _posizione(gruppi, g_s)[0], pos_a[ok_a], pos_b[ok_b]
    # each axis as slots among the small side's distinct values of the same group
    conta_t, n_t = _contatore(gs, s["istante"], [a["istante"], b["istante"]], n_g)
    conta_d, n_d = _contatore(gs, s["giorno"], [a["giorno"], b["giorno"]], n_g)
    t_a, d_a = (np.asarray(a[c], dtype=np.int64)[ok_a] for c in ("istante", "giorno"))
    t_b, d_b = (np.asarray(b[c], dtype=np.int64)[ok_b] for c in ("istante", "giorno"))
    if piccolo == "b":
        # b's own slot + 1 and "slots before a's timestamp": b earlier than a, strictly
        ti_b = conta_t(gb, t_b, "left") + 1
        ti_a = conta_t(ga, t_a, "left")
        # b's own day slot, and "slots up to a's day": b's day later than a's, strictly
        di_b = conta_d(gb, d_b, "left")
        di_a = conta_d(ga, d_a, "right")
    else:
        ti_b = conta_t(gb, t_b, "right")
        ti_a = conta_t(ga, t_a, "left")
        di_b = conta_d(gb, d_b, "left")
        di_a = conta_d(ga, d_a, "left") + 1
    # per group a block of (n_t+1) × (n_d+1) rows of URGENZE cells, laid out day-major
    righe_t, righe_d = n_t + 1, n_d + 1
    righe = righe_t * righe_d
    if int(righe.sum()) * URGENZE > celle_massime:
        return None
    inizio = np.zeros(n_g + 1, dtype=np.int64)
    np.cumsum(righe, out=inizio[1:])
    totale = int(inizio[-1])
    riga_b = inizio[gb] + di_b * righe_t[gb] + ti_b
    u_b = np.asarray(b["urgenza"], dtype=np.int64)[ok_b]
    celle = np.bincount(riga_b * URGENZE + u_b,
                        weights=np.asarray(pesi, dtype=np.float64)[ok_b],
                        minlength=totale * URGENZE)
    tab = np.rint(celle).astype(np.int32).reshape(totale, URGENZE)   # |sums| < 2³¹ rows
    # b at least as urgent as a: suffix along the urgency
    tab = np.cumsum(tab[:, ::-1], axis=1, dtype=np.int32)[:, ::-1]
    # b earlier than a: prefix along the timestamp slots (contiguous runs of righe_t rows)
    g_riga = np.repeat(np.arange(n_g), righe)
    corsa = (np.arange(totale) - inizio[g_riga]) // righe_t[g_riga]
    inizio_corsa = inizio[g_riga] + corsa * righe_t[g_riga]
    tab = _cumsum_segmenti(tab, inizio_corsa)
    # b's day later than a's: suffix along the day slots (stride righe_t inside a group)
    perm = _trasposta(inizio, righe_t, righe_d)
    trasp = tab[perm][::-1]
    g_rev = g_riga[perm][::-1]
    t_rev = (np.arange(totale) - inizio[g_riga])[perm][::-1] % righe_t[g_rev]
    nuovo = np.ones(totale, dtype=bool)
    nuovo[1:] = (g_rev[1:] != g_rev[:-1]) | (t_rev[1:] != t_rev[:-1])
    # reversed, the runs of one (group, timestamp slot) are contiguous: segmented cumsum
    primo = np.maximum.accumulate(np.where(nuovo, np.arange(totale), 0))
    trasp = _cumsum_segmenti(trasp, primo)[::-1]
    tab = np.empty_like(trasp)
    tab[perm] = trasp
    u_a = np.asarray(a["urgenza"], dtype=np.int64)[ok_a]
    esito[ok_a] = tab[inizio[ga] + di_a * righe_t[ga] + ti_a, u_a]
    return esito


def _posizione(ordinati: np.ndarray, valori: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each value in the sorted unique array, and whether it is there: a lookup
    table when the values are dense codes, a search otherwise."""
    if ordinati.size and valori.size:
        minimo = min(int(ordinati[0]), int(valori.min()))
        ampiezza = max(int(ordinati[-1]), int(valori.max())) - minimo + 1
        if ampiezza <= 4 * ordinati.size + 1024:
            tabella = np.full(ampiezza, -1, dtype=np.int64)
            tabella[ordinati - minimo] = np.arange(ordinati.size)
            pos = tabella[valori - minimo]
            trovati = pos >= 0
            return np.where(trovati, pos, 0), trovati
    pos = np.searchsorted(ordinati, valori)
    pos = np.minimum(pos, max(ordinati.size - 1, 0))
    return pos, ordinati[pos] == valori


Contatore = Callable[[np.ndarray, np.ndarray, str], np.ndarray]


def _contatore(g_s: np.ndarray, v_s: np.ndarray, altri: list[np.ndarray], n_g: int
               ) -> tuple[Contatore, np.ndarray]:
    """How many of the small side's distinct values of group g lie below v ("left") or up to
    v ("right"), for any v of either side; and how many distinct values each group has.

    A lookup table over (group, value) when the values span a narrow range (days), else a
    search among the sorted keys (group, value) packed in 64 bits, the values first recoded
    when they span too wide a range to pack."""
    v_s = np.asarray(v_s, dtype=np.int64)
    altri = [np.asarray(v, dtype=np.int64) for v in altri]
    minimo = min(int(v.min()) for v in (v_s, *altri) if v.size)
    massimo = max(int(v.max()) for v in (v_s, *altri) if v.size)
    ampiezza = massimo - minimo + 1
    if n_g * ampiezza <= 4_000_000:
        presenti = np.zeros((n_g, ampiezza), dtype=bool)
        presenti[g_s, v_s - minimo] = True
        fino = np.cumsum(presenti, axis=1, dtype=np.int64)
        # looked up flat, by one computed index (`take`): twice as fast as indexing the 2-D
        # tables with two arrays, for a million values of the large side
        fino_piatto, presenti_piatto = fino.ravel(), presenti.ravel()

        def da_tabella(g: np.ndarray, v: np.ndarray, lato: str) -> np.ndarray:
            i = g * ampiezza + (v - minimo)
            return fino_piatto.take(i) - (0 if lato == "right" else presenti_piatto.take(i))

        return da_tabella, fino[:, -1]
    bit = (ampiezza - 1).bit_length()
    if bit + int(n_g).bit_length() > 62:
        # 2·i+1 for the small side's i-th distinct value, 2·i for what lies just below it:
        # every comparison with one of its values kept, in a range that packs
        distinti = np.unique(v_s)
        conta, quanti = _contatore(g_s, 2 * np.searchsorted(distinti, v_s) + 1,
                                   [np.array([0, 2 * distinti.size])], n_g)

        def ricodificato(g: np.ndarray, v: np.ndarray, lato: str) -> np.ndarray:
            i = np.searchsorted(distinti, v)
            pari = distinti[np.minimum(i, distinti.size - 1)] == v
            return conta(g, 2 * i + pari, lato)

        return ricodificato, quanti
    chiavi = np.unique((g_s << bit) | (v_s - minimo))
    confini = np.searchsorted(chiavi, np.arange(n_g + 1, dtype=np.int64) << bit)

    def da_chiavi(g: np.ndarray, v: np.ndarray, lato: str) -> np.ndarray:
        return (np.searchsorted(chiavi, (g << bit) | (v - minimo),
                                side=lato)  # type: ignore[call-overload]
                - confini[g])

    # Two levels, for a large side searching a small one (timestamps): the range cut into
    # buckets, a table of how many of the group's distinct values lie in the buckets before
    # each; only a value whose own bucket holds some of them is searched (a few: a bucket is
    # the width of the range over ~4 M / groups, the small side has a few values a group).
    secchi = max(1, 4_000_000 // n_g)
    passo = -(-ampiezza // secchi)
    distinti_g = chiavi >> bit
    secchio_s = ((chiavi & ((1 << bit) - 1)) // passo)
    per_secchio = np.bincount(distinti_g * (secchi + 1) + secchio_s,
                              minlength=n_g * (secchi + 1)).astype(np.int32).reshape(
                                  n_g, secchi + 1)
    prima_del = np.zeros_like(per_secchio)
    np.cumsum(per_secchio[:, :-1], axis=1, out=prima_del[:, 1:])

    prima_piatto, per_secchio_piatto = prima_del.ravel(), per_secchio.ravel()

    def a_secchi(g: np.ndarray, v: np.ndarray, lato: str) -> np.ndarray:
        i = g * (secchi + 1) + (v - minimo) // passo   # flat, as in `da_tabella`
        esito = prima_piatto.take(i)
        cercare = per_secchio_piatto.take(i) > 0
        if cercare.any():
            esito[cercare] = da_chiavi(g[cercare], v[cercare], lato)
        return esito

    return a_secchi, np.diff(confini)


def _cumsum_segmenti(tab: np.ndarray, inizio_segmento: np.ndarray) -> np.ndarray:
    """Running sums along axis 0 restarted at each segment (`inizio_segmento`: the first row
    of each row's segment)."""
    somma = np.cumsum(tab, axis=0, dtype=tab.dtype)
    prima = np.zeros_like(tab)
    prima[1:] = somma[:-1]
    return somma - prima[inizio_segmento]


def _trasposta(inizio: np.ndarray, righe_t: np.ndarray, righe_d: np.ndarray) -> np.ndarray:
    """The rows reordered from day-major to timestamp-major inside each group's block."""
    totale = int(inizio[-1])
    g = np.repeat(np.arange(righe_t.size), righe_t * righe_d)
    k = np.arange(totale) - inizio[g]
    # k-th row of the new order: timestamp slot k // righe_d, day slot k % righe_d
    return inizio[g] + (k % righe_d[g]) * righe_t[g] + k // righe_d[g]


COLONNE_AGENDA = ["codice_prestazione", "codice_sede"]


def fuori_ordine_dopo(invariate: pl.DataFrame, prima: pl.DataFrame, cambiate: pl.DataFrame,
                      *, celle_massime: int | None = None) -> tuple[pl.Series, pl.Series]:
    """`fuori_ordine` after a delta, as a full count over invariate + cambiate would give it:
    for `invariate` (the unchanged bookings, with the count the last check recorded) and for
    `cambiate` (the new versions), in their orders.

    `invariate` and `prima` (the changed bookings' old versions) carry the recorded
    `fuori_ordine`: null exactly when the booking was not `in_agenda` then (the check writes
    it so), which is also what decides whether it counted for the others. `cambiate` carries
    `in_garanzia`. An unchanged booking's count moves by the new versions it overtook minus
    the old versions it had overtaken; a new version is counted against its whole agenda
    (`conta_scavalcati_tra`). When the tables would be too large (a delta crowded into few
    agendas: over `celle_massime` cells, default four per booking plus a million) the
    touched agendas are counted whole instead, with the same result."""
    colonne = ["codice_prestazione", "codice_sede", "classe_priorita", "data_prenotazione",
               "data_appuntamento"]
    date_note = (pl.col("data_prenotazione").is_not_null()
                 & pl.col("data_appuntamento").is_not_null())
    lati = pl.concat([
        invariate.lazy().select(*colonne, lato=pl.lit(0, pl.Int8),
                                conta=pl.col("fuori_ordine").is_not_null() & date_note),
        prima.lazy().select(*colonne, lato=pl.lit(1, pl.Int8),
                            conta=pl.col("fuori_ordine").is_not_null() & date_note),
        cambiate.lazy().select(*colonne, lato=pl.lit(2, pl.Int8),
                               conta=in_agenda() & date_note),
    ]).with_row_index("riga").with_columns(
        pl.col(c).fill_null("") for c in COLONNE_AGENDA).filter("conta").with_columns(
        # the agenda as one code (a categorical's): the touched ones picked by code, not by
        # a join on two text columns of the whole register (half the time)
        gruppo=pl.concat_str(COLONNE_AGENDA, separator="\x1f").cast(pl.Categorical)
        .to_physical().cast(pl.Int64)).collect()
    toccate = lati.filter(pl.col("lato") > 0)["gruppo"].unique()
    righe = lati.lazy().filter(pl.col("gruppo").is_in(toccate.implode())).select(
        "riga", "lato", "gruppo",
        istante=pl.col("data_prenotazione").cast(pl.Datetime("us")).cast(pl.Int64),
        giorno=pl.col("data_appuntamento").cast(pl.Date).cast(pl.Int64),
        urgenza=pl.col("classe_priorita").replace_strict(
            URGENZA, default=0, return_dtype=pl.Int8).fill_null(0),
    ).collect()
    lato = righe["lato"].to_numpy()
    assi = {c: righe[c].to_numpy() for c in ("gruppo", "istante", "giorno", "urgenza")}
    riga = righe["riga"].to_numpy().astype(np.int64)
    n_inv, n_cam = invariate.height, cambiate.height
    if celle_massime is None:
        celle_massime = 4 * righe.height + 1_000_000

    # the rows come side after side (unchanged, old versions, new versions): slices
    fine_inv, fine_prima = np.searchsorted(lato, [1, 2])

    def parte(da: int, a: int | None = None) -> dict[str, np.ndarray]:
        return {c: v[da:a] for c, v in assi.items()}

    scarto = conta_scavalcati_tra(
        parte(0, fine_inv), parte(fine_inv), np.where(lato[fine_inv:] == 1, -1, 1),
        piccolo="b", celle_massime=celle_massime)
    # the old versions weigh nothing there: counted against the register now
    nuove = conta_scavalcati_tra(parte(fine_prima), parte(0), (lato != 1).astype(np.int64),
                                 piccolo="a", celle_massime=celle_massime)
    if scarto is None or nuove is None:
        return _fuori_ordine_agende_intere(
            invariate, cambiate,
            lati.lazy().filter(pl.col("lato") > 0).select(COLONNE_AGENDA).unique())
    # unchanged: the recorded count moved; new versions: their count, 0 for those in agenda
    # without dates (never counted), null outside the agenda
    registrate = invariate["fuori_ordine"]
    valori = registrate.fill_null(0).to_numpy().astype(np.int64)
    valori[riga[:fine_inv]] += scarto
    conteggi = np.zeros(n_cam, dtype=np.int64)
    conteggi[riga[fine_prima:] - n_inv - prima.height] = nuove
    return (pl.Series("fuori_ordine", valori).set(registrate.is_null(), None),
            cambiate.select(fuori_ordine=pl.when(in_agenda()).then(
                pl.Series(conteggi, dtype=pl.Int64))).to_series())


def _fuori_ordine_agende_intere(invariate: pl.DataFrame, cambiate: pl.DataFrame,
                                toccate: pl.LazyFrame) -> tuple[pl.Series, pl.Series]:
    """`fuori_ordine_dopo` the plain way: the agendas the delta touched counted whole."""
    colonne = ["codice_prestazione", "codice_sede", "classe_priorita", "data_prenotazione",
               "data_appuntamento"]
    tutte = pl.concat([
        invariate.lazy().select(*colonne, "fuori_ordine", stato=pl.lit("prenotata"),
                                in_garanzia=pl.col("fuori_ordine").is_not_null()),
        cambiate.lazy().select(*colonne, fuori_ordine=pl.lit(None, pl.Int64), stato="stato",
                               in_garanzia="in_garanzia"),
    ]).with_row_index("riga")
    ricontate = tutte.join(toccate, how="semi", left_on=[
        pl.col(c).fill_null("") for c in COLONNE_AGENDA], right_on=COLONNE_AGENDA)
    conteggi = fuori_ordine_prenotazioni(ricontate, chiave="riga")
    esito = tutte.join(conteggi.lazy().rename({"fuori_ordine": "_nuovo"}), on="riga",
                       how="left", maintain_order="left").with_columns(
        fuori_ordine=pl.when(in_agenda()).then(pl.coalesce("_nuovo", "fuori_ordine")
                                               .fill_null(0))).collect()["fuori_ordine"]
    return esito.head(invariate.height), esito.tail(cambiate.height)
