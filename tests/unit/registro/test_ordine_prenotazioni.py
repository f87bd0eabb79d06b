"""The specialist lists in chronological order (Carta §5.1, registro.ordine): boundary cases by
hand, every class pair, and Hypothesis against the pairwise oracle on generated agendas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
import supporto.oracoli.agende as oracolo
from hypothesis import given, settings
from hypothesis import strategies as st

from registro.ordine import conta_scavalcati, fuori_ordine_prenotazioni

T0 = datetime(2026, 3, 2, 9, 0)
G0 = date(2026, 3, 20)
CLASSI = [None, "P", "D", "B", "U"]   # least to most urgent


def pren(id_: str, prenotata: datetime, appuntamento: date | datetime, *,
         classe: str | None = None, prestazione: str = "89.7", sede: str = "S1",
         stato: str = "prenotata", in_garanzia: bool = True) -> dict[str, Any]:
    return {"id_prenotazione": id_, "codice_prestazione": prestazione, "codice_sede": sede,
            "classe_priorita": classe, "stato": stato, "in_garanzia": in_garanzia,
            "data_prenotazione": prenotata,
            "data_appuntamento": (appuntamento if isinstance(appuntamento, datetime)
                                  else datetime.combine(appuntamento, datetime.min.time()))}


SCHEMA = {"id_prenotazione": pl.String, "codice_prestazione": pl.String,
          "codice_sede": pl.String, "classe_priorita": pl.String, "stato": pl.String,
          "in_garanzia": pl.Boolean, "data_prenotazione": pl.Datetime("us"),
          "data_appuntamento": pl.Datetime("us")}


def conteggi(righe: list[dict[str, Any]]) -> dict[str, int]:
    df = fuori_ordine_prenotazioni(pl.DataFrame(righe, schema=SCHEMA).lazy())
    assert df.schema == pl.Schema({"id_prenotazione": pl.String, "fuori_ordine": pl.Int64})
    esito = dict(zip(df["id_prenotazione"].to_list(), df["fuori_ordine"].to_list(),
                     strict=True))
    assert esito == oracolo.scavalcati(righe)
    return esito


def test_later_booking_earlier_date_overtakes() -> None:
    assert conteggi([pren("A", T0, G0 + timedelta(days=1)),
                     pren("B", T0 + timedelta(minutes=1), G0)]) == {"A": 0, "B": 1}


def test_equal_timestamps_never_count() -> None:
    assert conteggi([pren("A", T0, G0 + timedelta(days=5)), pren("B", T0, G0)]
                    ) == {"A": 0, "B": 0}


def test_one_microsecond_later_counts() -> None:
    assert conteggi([pren("A", T0, G0 + timedelta(days=5)),
                     pren("B", T0 + timedelta(microseconds=1), G0)])["B"] == 1


def test_same_day_never_counts_whatever_the_time() -> None:
    mezzanotte = datetime.combine(G0, datetime.min.time())
    assert conteggi([pren("A", T0, mezzanotte + timedelta(hours=17)),
                     pren("B", T0 + timedelta(hours=1), mezzanotte + timedelta(hours=8))]
                    ) == {"A": 0, "B": 0}


def test_earlier_booking_with_earlier_date_is_in_order() -> None:
    assert conteggi([pren("A", T0, G0),
                     pren("B", T0 + timedelta(days=1), G0 + timedelta(days=1))]
                    ) == {"A": 0, "B": 0}


@pytest.mark.parametrize("classe_a", CLASSI)
@pytest.mark.parametrize("classe_b", CLASSI)
def test_each_class_pair(classe_a: str | None, classe_b: str | None) -> None:
    """B overtakes A unless B is strictly more urgent (U > B > D > P > none)."""
    esito = conteggi([pren("A", T0, G0 + timedelta(days=3), classe=classe_a),
                      pren("B", T0 + timedelta(hours=2), G0, classe=classe_b)])
    atteso = 0 if CLASSI.index(classe_b) > CLASSI.index(classe_a) else 1
    assert esito["B"] == atteso


def test_other_service_or_site_is_another_agenda() -> None:
    assert conteggi([pren("A", T0, G0 + timedelta(days=3), sede="S2"),
                     pren("C", T0, G0 + timedelta(days=3), prestazione="87.03"),
                     pren("B", T0 + timedelta(hours=2), G0)])["B"] == 0


@pytest.mark.parametrize(("stato", "in_garanzia", "conta"), [
    ("prenotata", True, 1), ("erogata", True, 1), ("non_presentato", True, 1),
    ("disdetta_utente", True, 0), ("annullata_ente", True, 0), ("erogata", False, 0)])
def test_only_bookings_in_agenda_are_overtaken(stato: str, in_garanzia: bool,
                                               conta: int) -> None:
    esito = conteggi([pren("A", T0, G0 + timedelta(days=3), stato=stato,
                           in_garanzia=in_garanzia), pren("B", T0 + timedelta(hours=2), G0)])
    assert esito["B"] == conta
    assert ("A" in esito) == bool(conta)


def test_counts_every_overtaken_booking() -> None:
    righe = [pren(f"A{i}", T0 + timedelta(minutes=i), G0 + timedelta(days=10 + i))
             for i in range(4)] + [pren("B", T0 + timedelta(hours=1), G0)]
    assert conteggi(righe)["B"] == 4


def test_empty_and_single() -> None:
    assert conteggi([]) == {}
    assert conteggi([pren("A", T0, G0)]) == {"A": 0}


_agende = st.lists(st.tuples(
    st.sampled_from(["89.7", "87.03"]), st.sampled_from(["S1", "S2"]),
    st.sampled_from(CLASSI), st.sampled_from(["prenotata", "erogata", "non_presentato",
                                              "disdetta_utente"]),
    st.booleans(), st.integers(0, 6), st.integers(0, 5), st.integers(0, 23)),
    max_size=45)


@settings(max_examples=300, deadline=None)
@given(_agende)
def test_agrees_with_pairwise_oracle(agenda: list[tuple[Any, ...]]) -> None:
    """Few distinct timestamps and days, so equal ones are common."""
    righe = [pren(f"P{i:03d}", T0 + timedelta(hours=t), G0 + timedelta(days=d), prestazione=c,
                  sede=s, classe=k, stato=stato, in_garanzia=g)
             .__or__({"data_appuntamento": datetime.combine(G0 + timedelta(days=d),
                                                            datetime.min.time())
                      + timedelta(hours=h)})
             for i, (c, s, k, stato, g, t, d, h) in enumerate(agenda)]
    conteggi(righe)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-5, 5), st.integers(-400, 400),
                          st.integers(0, 4)), max_size=60))
def test_kernel_agrees_on_wide_day_ranges(righe: list[tuple[int, int, int, int]]) -> None:
    """The kernel alone, with days far apart (many levels) and negative values."""
    g, t, d, u = (np.array([r[i] for r in righe], dtype=np.int64) for i in range(4))
    attesi = [sum(1 for a in range(len(righe)) if g[a] == g[b] and t[a] < t[b]
                  and d[a] > d[b] and u[b] <= u[a]) for b in range(len(righe))]
    assert conta_scavalcati(g, t, d, u).tolist() == attesi


# --- the kernel's own edges: one threshold of urgency at a time, the day ranks, the groups ---

def _a_coppie(g: np.ndarray, t: np.ndarray, d: np.ndarray, u: np.ndarray) -> list[int]:
    return [sum(1 for a in range(len(g)) if g[a] == g[b] and t[a] < t[b] and d[a] > d[b]
                and u[b] <= u[a]) for b in range(len(g))]


def test_kernel_urgency_thresholds_with_gaps_and_no_unclassed() -> None:
    """Only classes U and P, none without a class: the thresholds present are counted, the
    missing ones skipped, and a P booking still counts the U ones it passed."""
    g = np.zeros(4, dtype=np.int64)
    t = np.array([0, 1, 2, 3])
    d = np.array([9, 8, 7, 1])
    u = np.array([4, 1, 4, 1])
    assert conta_scavalcati(g, t, d, u).tolist() == [0, 1, 1, 3] == _a_coppie(g, t, d, u)


def test_kernel_one_day_only_counts_nothing() -> None:
    g = np.array([5, 5, 5])
    t = np.array([3, 2, 1])
    d = np.array([40, 40, 40])
    assert conta_scavalcati(g, t, d, np.zeros(3, dtype=np.int8)).tolist() == [0, 0, 0]


def test_kernel_group_codes_far_apart_and_unordered() -> None:
    """Group codes as Categorical physicals may be anything: large, sparse, in any order."""
    g = np.array([4_000_000_000, 7, 4_000_000_000, 7, 4_000_000_000], dtype=np.uint32)
    t = np.array([5, 1, 1, 2, 9])
    d = np.array([1, 30, 20, 10, 0])
    u = np.zeros(5, dtype=np.int8)
    assert conta_scavalcati(g, t, d, u).tolist() == [1, 0, 0, 1, 2] == _a_coppie(g, t, d, u)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 8),
                          st.integers(-10**9, 10**9), st.sampled_from([0, 2, 4])),
                max_size=50))
def test_kernel_agrees_on_sparse_days_and_classes(righe: list[tuple[int, int, int, int]]
                                                  ) -> None:
    """Days too far apart for the lookup table (the ranks come from a sort) and classes
    with gaps between them."""
    g, t, d, u = (np.array([r[i] for r in righe], dtype=np.int64) for i in range(4))
    assert conta_scavalcati(g, t, d, u).tolist() == _a_coppie(g, t, d, u)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([-2**61, -7, 0, 7, 2**61]),
                          st.integers(0, 5), st.integers(0, 4)), max_size=40))
def test_kernel_agrees_on_timestamps_too_wide_to_pack(righe: list[tuple[int, int, int, int]]
                                                      ) -> None:
    """Timestamps 2⁶² apart leave no room for the group in one 64-bit key: the other sort,
    and ties of timestamp, give the same counts."""
    g, t, d, u = (np.array([r[i] for r in righe], dtype=np.int64) for i in range(4))
    assert conta_scavalcati(g, t, d, u).tolist() == _a_coppie(g, t, d, u)
