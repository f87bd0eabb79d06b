"""Tests of registro.ordine: hand-built lists pin the chronological-order rule and the breach."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from supporto.oracoli import ricoveri as oracolo
from supporto.oracoli.ricoveri import frame, voce

from registro.ordine import (
    COLONNE_FUORI_ORDINE,
    SCHEMA_FUORI_ORDINE,
    conta_fuori_ordine,
    derivati_ricoveri,
    fuori_ordine,
)
from registro.standards import PNGLA, Profilo, carica_profilo

G1 = date(2026, 1, 10)      # insertions
RIC = date(2026, 2, 20)     # the admission day of X


def coppie(righe: list[dict[str, object]]) -> set[tuple[str, str]]:
    df = fuori_ordine(frame(righe).lazy())
    assert df.columns == COLONNE_FUORI_ORDINE
    assert df.schema == SCHEMA_FUORI_ORDINE
    assert df.to_dicts() == oracolo.fuori_ordine(righe)
    return {(r["id_ricovero"], r["id_scavalcato"]) for r in df.iter_rows(named=True)}


def ammesso(id_: str = "X", *, classe: str = "B", inserita: date | datetime = date(2026, 1, 12),
            reparto: str = "36", ricovero: date = RIC) -> dict[str, object]:
    return voce(id_, inserita, classe=classe, reparto=reparto, stato="ricoverato",
                ricovero=ricovero)


def test_same_class_waiting_earlier_is_overtaken() -> None:
    righe = [voce("Y", G1, classe="B"), ammesso(classe="B")]
    assert coppie(righe) == {("X", "Y")}
    riga = fuori_ordine(frame(righe).lazy()).row(0, named=True)
    assert riga == {"id_ricovero": "X", "id_scavalcato": "Y", "codice_reparto": "36",
                    "classe_priorita": "B", "classe_scavalcato": "B",
                    "data_ricovero": datetime(2026, 2, 20, 8, 0),
                    "data_inserimento_scavalcato": datetime(2026, 1, 10, 10, 0)}


def test_more_urgent_waiting_entry_is_overtaken_by_a_less_urgent_admission() -> None:
    assert coppie([voce("Y", G1, classe="A"), ammesso(classe="C")]) == {("X", "Y")}


def test_more_urgent_admission_first_is_not_out_of_order() -> None:
    # X (class A) admitted while an earlier class-C entry still waits: the rule allows it
    assert coppie([voce("Y", G1, classe="C"), ammesso(classe="A")]) == set()
    assert coppie([voce("Y", G1, classe="D"), ammesso(classe="C")]) == set()


def test_equal_insertion_timestamps_are_not_out_of_order() -> None:
    stesso = datetime(2026, 1, 10, 9, 30)
    assert coppie([voce("Y", stesso), ammesso(inserita=stesso)]) == set()
    # one second earlier is earlier: timestamps, not dates
    assert coppie([voce("Y", datetime(2026, 1, 10, 9, 29, 59)),
                   ammesso(inserita=stesso)]) == {("X", "Y")}


def test_entry_inserted_later_is_not_overtaken() -> None:
    assert coppie([voce("Y", date(2026, 1, 13)), ammesso(inserita=date(2026, 1, 12))]) == set()


@pytest.mark.parametrize(("cancellazione", "scavalcato"), [
    (date(2026, 2, 1), False),     # cancelled before the admission day
    (RIC, False),                  # cancelled on the admission day: no longer waiting
    (None, False),                 # cancelled, date unknown: never counted as waiting
    (date(2026, 2, 21), True),     # cancelled the day after: it was still waiting
])
def test_cancelled_entry(cancellazione: date | None, scavalcato: bool) -> None:
    righe = [voce("Y", G1, stato="cancellato", cancellazione=cancellazione), ammesso()]
    assert coppie(righe) == ({("X", "Y")} if scavalcato else set())


@pytest.mark.parametrize(("ricovero_y", "scavalcato"), [
    (date(2026, 2, 19), False),    # admitted before X
    (RIC, False),                  # admitted the same day as X (even later that day)
    (date(2026, 2, 21), True),     # admitted the day after X
])
def test_earlier_entry_admitted(ricovero_y: date, scavalcato: bool) -> None:
    y = voce("Y", G1, stato="ricoverato", ricovero=datetime.combine(
        ricovero_y, datetime.min.time().replace(hour=18)))
    righe = [y, ammesso()]
    assert coppie(righe) == ({("X", "Y")} if scavalcato else set())


def test_different_ward_is_not_out_of_order() -> None:
    assert coppie([voce("Y", G1, reparto="09"), ammesso(reparto="36")]) == set()


def test_waiting_entries_are_never_out_of_order_themselves() -> None:
    assert coppie([voce("Y", G1), voce("X", date(2026, 1, 12))]) == set()


def test_each_overtaken_entry_is_one_row_and_counted() -> None:
    righe = [voce("Y1", G1, classe="A"), voce("Y2", date(2026, 1, 11), classe="B"),
             voce("Y3", date(2026, 1, 11), classe="C"),          # less urgent than X
             ammesso("X", classe="B"),
             ammesso("Z", classe="B", inserita=date(2026, 1, 13), ricovero=date(2026, 2, 25))]
    assert coppie(righe) == {("X", "Y1"), ("X", "Y2"), ("Z", "Y1"), ("Z", "Y2")}
    conta = conta_fuori_ordine(fuori_ordine(frame(righe).lazy()))
    assert conta.to_dicts() == [{"id_ricovero": "X", "n_scavalcati": 2},
                                {"id_ricovero": "Z", "n_scavalcati": 2}]
    assert conta.schema == pl.Schema({"id_ricovero": pl.String(), "n_scavalcati": pl.Int64()})


def test_empty_list() -> None:
    df = fuori_ordine(frame([]).lazy())
    assert df.height == 0 and df.schema == SCHEMA_FUORI_ORDINE
    assert conta_fuori_ordine(df).height == 0


# --- derivati_ricoveri: waits, maximum, breach ------------------------------------------------

OGGI = date(2026, 6, 30)


def derivati(righe: list[dict[str, object]],
             profilo: Profilo = PNGLA) -> list[dict[str, object]]:
    df = derivati_ricoveri(frame(righe).lazy(), profilo, OGGI).collect()
    atteso = oracolo.derivati(righe, profilo, OGGI)
    colonne = ["id_ricovero", "attesa_giorni", "attesa_massima", "superamento"]
    assert df.select(colonne).to_dicts() == [{c: r[c] for c in colonne} for r in atteso]
    return df.to_dicts()


@pytest.mark.parametrize(("attesa", "superamento"), [(29, False), (30, False), (31, True)])
def test_breach_at_the_threshold_admitted(attesa: int, superamento: bool) -> None:
    inserita = date(2026, 1, 1)
    ricovero = date.fromordinal(inserita.toordinal() + attesa)
    # times of day never matter: inserted late in the evening, admitted early in the morning
    r = derivati([voce("X", datetime(2026, 1, 1, 23, 59), classe="A", stato="ricoverato",
                       ricovero=datetime.combine(ricovero, datetime.min.time()))])[0]
    assert (r["attesa_giorni"], r["attesa_massima"], r["superamento"]) == (
        attesa, 30, superamento)


@pytest.mark.parametrize(("attesa", "superamento"), [(60, False), (61, True)])
def test_breach_at_the_threshold_still_waiting(attesa: int, superamento: bool) -> None:
    inserita = date.fromordinal(OGGI.toordinal() - attesa)
    r = derivati([voce("W", inserita, classe="B")])[0]
    assert (r["attesa_giorni"], r["attesa_massima"], r["superamento"]) == (
        attesa, 60, superamento)


def test_cancelled_entry_has_no_wait_and_no_breach() -> None:
    r = derivati([voce("C", date(2024, 1, 1), classe="A", stato="cancellato",
                       cancellazione=date(2025, 1, 1))])[0]
    assert (r["attesa_giorni"], r["superamento"]) == (None, False)


def test_local_ward_and_pathology_maximum_wins_over_class(tmp_path: Path) -> None:
    toml = tmp_path / "standard.toml"
    toml.write_text(
        'profilo = "pngla"\n'
        "[[ricoveri]]\ncodice_reparto = \"36\"\ngiorni = 90\n"                # ward: B→90
        "[[ricoveri]]\ncodice_reparto = \"36\"\ncodice_patologia = \"81.51\"\ngiorni = 120\n"
        "[[ricoveri]]\ncodice_patologia = \"13.41\"\ngiorni = 20\n",
        encoding="utf-8")
    profilo = carica_profilo("pngla", toml)

    def voce_attesa(id_: str, attesa: int, reparto: str, patologia: str) -> dict[str, object]:
        return voce(id_, date.fromordinal(OGGI.toordinal() - attesa), classe="B",
                    reparto=reparto, patologia=patologia)

    righe = [
        voce_attesa("classe61", 61, "09", "53.00"),           # class default 60: breach
        voce_attesa("reparto61", 61, "36", "53.00"),          # ward 90: no breach
        voce_attesa("reparto91", 91, "36", "53.00"),          # ward 90: breach
        voce_attesa("patologia120", 120, "36", "81.51"),      # ward+pathology 120: none
        voce_attesa("patologia121", 121, "36", "81.51"),      # breach
        voce_attesa("cataratta20", 20, "09", "13.41"),        # pathology 20 < class 60
        voce_attesa("cataratta21", 21, "09", "13.41"),        # breach of the local maximum
    ]
    out = {r["id_ricovero"]: (r["attesa_massima"], r["superamento"])
           for r in derivati(righe, profilo)}
    assert out == {
        "classe61": (60, True), "reparto61": (90, False), "reparto91": (90, True),
        "patologia120": (120, False), "patologia121": (120, True),
        "cataratta20": (20, False), "cataratta21": (20, True),
    }
