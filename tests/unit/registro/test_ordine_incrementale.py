"""`fuori_ordine` after a CUP delta (registro.ordine.fuori_ordine_dopo, the incremental check's
recount): for random registers and random deltas - new bookings, and updates that move the
appointment, the booking instant, the agenda, the class, the state or the guarantee - the
counts equal a full recount exactly, on the table path and on its fallback (the touched
agendas counted whole); and the two-set kernel against its definition pair by pair."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from registro.ordine import (
    _contatore,
    conta_scavalcati_tra,
    fuori_ordine_dopo,
    fuori_ordine_prenotazioni,
    in_agenda,
)

T0 = datetime(2026, 3, 2, 9, 0)
G0 = date(2026, 3, 20)
CLASSI = [None, "P", "D", "B", "U"]
STATI = ["prenotata", "erogata", "non_presentato", "disdetta_utente", "annullata_ente"]
SCHEMA = {"id_prenotazione": pl.String, "codice_prestazione": pl.String,
          "codice_sede": pl.String, "classe_priorita": pl.String, "stato": pl.String,
          "in_garanzia": pl.Boolean, "data_prenotazione": pl.Datetime("us"),
          "data_appuntamento": pl.Datetime("us")}

def _raro_nullo(massimo: int) -> st.SearchStrategy[int | None]:
    return st.integers(-1, massimo).map(lambda x: None if x < 0 else x)


# most bookings on the agenda (a null date, a state off the agenda or out of guarantee now
# and then), few distinct instants and days so that ties are common
_riga = st.tuples(
    st.sampled_from(["89.7", "89.7", "87.03", None]), st.sampled_from(["S1", "S2"]),
    st.sampled_from(CLASSI), st.sampled_from(STATI[:3] * 2 + STATI[3:]),
    st.sampled_from([True, True, True, False]), _raro_nullo(6), _raro_nullo(5),
    st.integers(0, 23))


def _righe(tuple_: list[tuple[Any, ...]], prefisso: str) -> list[dict[str, Any]]:
    return [{"id_prenotazione": f"{prefisso}{i:03d}", "codice_prestazione": c,
             "codice_sede": s, "classe_priorita": k, "stato": stato, "in_garanzia": g,
             "data_prenotazione": None if t is None else T0 + timedelta(hours=t),
             "data_appuntamento": None if d is None else datetime.combine(
                 G0 + timedelta(days=d), datetime.min.time()) + timedelta(hours=h)}
            for i, (c, s, k, stato, g, t, d, h) in enumerate(tuple_)]


def _contati(df: pl.DataFrame) -> pl.DataFrame:
    """The full count, written as the check writes it (null outside the agenda)."""
    conteggi = fuori_ordine_prenotazioni(df.lazy())
    return df.join(conteggi, on="id_prenotazione", how="left", maintain_order="left"
                   ).with_columns(fuori_ordine=pl.when(in_agenda())
                                  .then(pl.col("fuori_ordine").fill_null(0)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_riga, max_size=40), st.data())
def test_incremental_counts_equal_the_full_recount(registro: list[tuple[Any, ...]],
                                                   data: st.DataObject) -> None:
    vecchio = _contati(pl.DataFrame(_righe(registro, "P"), schema=SCHEMA))
    indici = data.draw(st.sets(st.integers(0, max(len(registro) - 1, 0)),
                               max_size=len(registro)) if registro else st.just(set()))
    aggiornate = []
    for i in sorted(indici):
        riga = dict(vecchio.row(i, named=True))
        del riga["fuori_ordine"]
        campi = data.draw(st.sets(st.sampled_from(
            ["agenda", "classe", "giorno", "istante", "stato", "garanzia"]), min_size=1))
        nuova = _righe([data.draw(_riga)], "X")[0]
        if "agenda" in campi:
            riga["codice_prestazione"] = nuova["codice_prestazione"]
            riga["codice_sede"] = nuova["codice_sede"]
        for campo, colonne in (("classe", ["classe_priorita"]),
                               ("giorno", ["data_appuntamento"]),
                               ("istante", ["data_prenotazione"]), ("stato", ["stato"]),
                               ("garanzia", ["in_garanzia"])):
            if campo in campi:
                riga.update({c: nuova[c] for c in colonne})
        aggiornate.append(riga)
    nuove = _righe(data.draw(st.lists(_riga, max_size=15)), "N")
    cambiate = pl.DataFrame(aggiornate + nuove, schema=SCHEMA)
    cambiati = cambiate["id_prenotazione"].implode()
    invariate = vecchio.filter(~pl.col("id_prenotazione").is_in(cambiati))
    prima = vecchio.filter(pl.col("id_prenotazione").is_in(cambiati))

    atteso = _contati(pl.concat([invariate.drop("fuori_ordine"), cambiate]))["fuori_ordine"]
    for celle in (None, 0):   # the tables, then the fallback
        inv, cam = fuori_ordine_dopo(invariate, prima, cambiate, celle_massime=celle)
        assert pl.concat([inv, cam]).to_list() == atteso.to_list()


def _per_coppie(a: dict[str, np.ndarray], b: dict[str, np.ndarray], pesi: np.ndarray
                ) -> list[int]:
    return [int(sum(pesi[j] for j in range(len(b["gruppo"]))
                    if b["gruppo"][j] == a["gruppo"][i] and b["istante"][j] < a["istante"][i]
                    and b["giorno"][j] > a["giorno"][i]
                    and b["urgenza"][j] >= a["urgenza"][i]))
            for i in range(len(a["gruppo"]))]


_lato = st.lists(st.tuples(st.sampled_from([3, 7, 4_000_000_000]),
                           st.sampled_from([-2**61, -7, 0, 1, 7, 2**61]),
                           st.integers(-400, 400), st.integers(0, 4), st.integers(-2, 2)),
                 max_size=30)


@settings(max_examples=300, deadline=None)
@given(_lato, _lato)
def test_two_set_kernel_agrees_pair_by_pair(righe_a: list[tuple[int, ...]],
                                           righe_b: list[tuple[int, ...]]) -> None:
    """Both choices of the small side, sparse groups, timestamps far apart, weights of
    either sign; and None once the table would exceed its cells."""
    def lato(righe: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
        return {c: np.array([r[i] for r in righe], dtype=np.int64)
                for i, c in enumerate(["gruppo", "istante", "giorno", "urgenza"])}
    a, b = lato(righe_a), lato(righe_b)
    pesi = np.array([r[4] for r in righe_b], dtype=np.int64)
    for piccolo in ("a", "b"):
        esito = conta_scavalcati_tra(a, b, pesi, piccolo=piccolo, celle_massime=10**6)
        assert esito is not None
        assert esito.tolist() == _per_coppie(a, b, pesi)
    if righe_a and righe_b and set(a["gruppo"]) & set(b["gruppo"]):
        assert conta_scavalcati_tra(a, b, pesi, piccolo="b", celle_massime=0) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**40), st.integers(0, 2**31 - 1))
def test_slot_counts_on_a_wide_range_equal_a_plain_count(gruppi: int, ampiezza: int,
                                                          seme: int) -> None:
    """`_contatore` on values too wide for a table (timestamps): how many of the small
    side's distinct values of the group lie below / up to each value, as a plain count
    gives it - values on the small side's own, next to them, and anywhere else."""
    rng = np.random.default_rng(seme)
    g_s = rng.integers(0, gruppi, 30)
    v_s = rng.integers(0, ampiezza + 1, 30)
    altri = rng.integers(0, ampiezza + 1, 200)
    g_q = np.concatenate([rng.integers(0, gruppi, 200), g_s, g_s])
    v_q = np.concatenate([altri, v_s, np.clip(v_s + rng.integers(-1, 2, 30), 0, ampiezza)])
    conta, quanti = _contatore(g_s, v_s, [v_q], gruppi)
    for lato in ("left", "right"):
        atteso = [len({v for g, v in zip(g_s, v_s, strict=True)
                       if g == gq and (v < vq if lato == "left" else v <= vq)})
                  for gq, vq in zip(g_q, v_q, strict=True)]
        assert conta(g_q, v_q, lato).tolist() == atteso
    assert quanti.tolist() == [len(set(v_s[g_s == g].tolist())) for g in range(gruppi)]
