"""Tests of reports.monitoring: the Direttore Sanitario's list, hand-built and pinned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from supporto.oracoli import ricoveri as oracolo
from supporto.oracoli.ricoveri import (
    SCHEMA_MOTIVAZIONI_IN,
    SCHEMA_PRENOTAZIONI_IN,
    frame,
    voce,
)

from registro.ordine import derivati_ricoveri, fuori_ordine
from registro.standards import PNGLA
from reports.monitoring import COLONNE, SCHEMA, lista_monitoraggio

OGGI = date(2026, 6, 30)


def prima(giorni: int) -> date:
    return OGGI - timedelta(days=giorni)


def prenotazione(id_: str, attesa: int, standard: int | None, *, superamento: bool | None = None,
                 prenotata: date = date(2026, 5, 4), codice: str = "89.7", sede: str = "S1",
                 classe: str | None = None) -> dict[str, Any]:
    if superamento is None:
        superamento = standard is not None and attesa > standard
    return {"id_prenotazione": id_, "codice_prestazione": codice, "codice_sede": sede,
            "classe_priorita": classe, "attesa_giorni": attesa, "standard_giorni": standard,
            "superamento": superamento,
            "data_prenotazione": datetime.combine(prenotata, datetime.min.time())}


def motivazione(registro: str, id_: str, oggetto: str = "superamento",
                il: datetime = datetime(2026, 6, 1, 12, 0)) -> dict[str, Any]:
    return {"registro": registro, "id": id_, "oggetto": oggetto, "registrata_il": il}


def calcola(*, prenotazioni: Sequence[dict[str, Any]] = (),
            ricoveri: Sequence[dict[str, Any]] = (),
            motivazioni: Sequence[dict[str, Any]] = (),
            **opzioni: Any) -> list[dict[str, Any]]:
    """The list from polars, checked against the oracle and the column contract."""
    ric = derivati_ricoveri(frame(list(ricoveri)).lazy(), PNGLA, OGGI).collect()
    coppie = fuori_ordine(frame(list(ricoveri)).lazy())
    df = lista_monitoraggio(
        prenotazioni=pl.DataFrame(prenotazioni, schema=SCHEMA_PRENOTAZIONI_IN),
        ricoveri=ric, fuori_ordine=coppie,
        motivazioni=pl.DataFrame(motivazioni, schema=SCHEMA_MOTIVAZIONI_IN),
        oggi=OGGI, **opzioni)
    assert df.columns == COLONNE
    assert df.schema == SCHEMA
    atteso = oracolo.lista(prenotazioni=list(prenotazioni),
                           ricoveri=oracolo.derivati(list(ricoveri), PNGLA, OGGI),
                           coppie=oracolo.fuori_ordine(list(ricoveri)),
                           motivazioni=list(motivazioni),
                           **opzioni)
    assert df.to_dicts() == atteso
    return df.to_dicts()


def chiavi(righe: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["lista"], r["registro"], r["id"]) for r in righe]


# entries of the ricoveri list (pngla maxima: A 30, B 60, C 180, D 365)
SUPERATO = voce("R-sup", prima(45), classe="A")                    # 45 > 30, still waiting
SUPERATO_AMMESSO = voce("R-amm", date(2026, 1, 2), classe="A", stato="ricoverato",
                        ricovero=date(2026, 2, 10))               # waited 39 > 30
SCAVALCATO = voce("R-y", date(2026, 4, 1), classe="B")              # waiting 90 > 60
SCAVALCANTE = voce("R-x", date(2026, 4, 2), classe="B", stato="ricoverato",
                   ricovero=date(2026, 4, 20))                     # overtook R-y


def test_both_registers_and_every_list() -> None:
    righe = calcola(
        prenotazioni=[prenotazione("P1", 9, 7), prenotazione("P2", 7, 7),
                      prenotazione("P3", 30, None)],
        ricoveri=[SUPERATO, SUPERATO_AMMESSO, SCAVALCATO, SCAVALCANTE,
                  voce("R-scad", prima(20), classe="A")])           # 10 days left
    assert chiavi(righe) == [
        ("superamento_senza_motivazione", "ricoveri", "R-sup"),      # A, 45 − 30 = 15
        ("superamento_senza_motivazione", "ricoveri", "R-amm"),      # A, 9
        ("superamento_senza_motivazione", "ricoveri", "R-y"),        # B, 90 − 60 = 30
        ("superamento_senza_motivazione", "prestazioni", "P1"),      # no class, 2
        ("fuori_ordine_senza_motivazione", "ricoveri", "R-x"),
        ("in_scadenza", "ricoveri", "R-scad"),
    ]
    per_id = {r["id"]: r for r in righe}
    assert per_id["P1"] == {
        "lista": "superamento_senza_motivazione", "registro": "prestazioni", "id": "P1",
        "codice_reparto_o_prestazione": "89.7", "codice_sede_o_patologia": "S1",
        "classe_priorita": None, "giorni": 9, "soglia": 7, "dal": date(2026, 5, 12),
        "motivato": False, "termine": None, "servizio": None}
    assert per_id["R-sup"]["dal"] == prima(45) + timedelta(days=31)
    assert per_id["R-amm"]["dal"] == date(2026, 2, 2)
    assert per_id["R-amm"]["codice_sede_o_patologia"] == "81.51"
    assert per_id["R-x"] == {
        "lista": "fuori_ordine_senza_motivazione", "registro": "ricoveri", "id": "R-x",
        "codice_reparto_o_prestazione": "36", "codice_sede_o_patologia": "81.51",
        "classe_priorita": "B", "giorni": 1, "soglia": None, "dal": date(2026, 4, 20),
        "motivato": False, "termine": None, "servizio": None}
    assert per_id["R-scad"]["dal"] == prima(20) + timedelta(days=31)
    assert (per_id["R-scad"]["giorni"], per_id["R-scad"]["soglia"]) == (20, 30)


@pytest.mark.parametrize("registro_id_oggetto", [
    ("prestazioni", "P1", "superamento"),
    ("ricoveri", "R-sup", "superamento"),
    ("ricoveri", "R-x", "fuori_ordine"),
])
def test_a_motivazione_clears_the_item(registro_id_oggetto: tuple[str, str, str]) -> None:
    registro, id_, oggetto = registro_id_oggetto
    dati: dict[str, Any] = {
        "prenotazioni": [prenotazione("P1", 9, 7)],
        "ricoveri": [SUPERATO, SCAVALCATO, SCAVALCANTE],
    }
    prima_ = {r["id"] for r in calcola(**dati)}
    assert id_ in prima_
    m = [motivazione(registro, id_, oggetto)]
    dopo = calcola(**dati, motivazioni=m)
    assert {r["id"] for r in dopo} == prima_ - {id_}
    audit = calcola(**dati, motivazioni=m, includi_motivati=True)
    assert {r["id"] for r in audit} == prima_
    assert [r["motivato"] for r in audit if r["id"] == id_] == [True]
    assert not any(r["motivato"] for r in audit if r["id"] != id_)


def test_a_motivazione_is_for_its_own_object_and_register() -> None:
    dati: dict[str, Any] = {"prenotazioni": [prenotazione("R-x", 9, 7)],
                            "ricoveri": [SCAVALCATO, SCAVALCANTE]}
    # R-x: a breach motivazione does not cover the overtake; a ricoveri one not the booking
    righe = calcola(**dati, motivazioni=[motivazione("ricoveri", "R-x", "superamento")])
    assert ("fuori_ordine_senza_motivazione", "ricoveri", "R-x") in chiavi(righe)
    assert ("superamento_senza_motivazione", "prestazioni", "R-x") in chiavi(righe)
    righe = calcola(**dati, motivazioni=[motivazione("prestazioni", "R-x", "fuori_ordine")])
    assert ("fuori_ordine_senza_motivazione", "ricoveri", "R-x") in chiavi(righe)


def test_a_superseded_motivazione_still_counts_as_motivated() -> None:
    m = [motivazione("ricoveri", "R-sup", il=datetime(2026, 6, 1, 9, 0)),
         motivazione("ricoveri", "R-sup", il=datetime(2026, 6, 15, 9, 0))]   # supersedes
    assert "R-sup" not in {r["id"] for r in calcola(ricoveri=[SUPERATO], motivazioni=m)}
    audit = calcola(ricoveri=[SUPERATO], motivazioni=m, includi_motivati=True)
    assert [(r["id"], r["motivato"]) for r in audit] == [("R-sup", True)]   # one row, not two


@pytest.mark.parametrize(("restano", "in_lista"), [
    (15, False), (14, True), (13, True), (0, True), (-1, False)])
def test_in_scadenza_boundary(restano: int, in_lista: bool) -> None:
    # class A: maximum 30 days
    righe = calcola(ricoveri=[voce("W", prima(30 - restano), classe="A")])
    assert (("in_scadenza", "ricoveri", "W") in chiavi(righe)) is in_lista
    if restano < 0:
        assert chiavi(righe) == [("superamento_senza_motivazione", "ricoveri", "W")]


def test_in_scadenza_notice_is_a_setting() -> None:
    ric = [voce("W", prima(20), classe="A")]                  # 10 days left
    assert chiavi(calcola(ricoveri=ric, giorni_preavviso=10)) == [("in_scadenza", "ricoveri", "W")]
    assert calcola(ricoveri=ric, giorni_preavviso=9) == []


def test_only_waiting_entries_are_in_scadenza() -> None:
    ric = [voce("A1", date(2026, 1, 1), classe="A", stato="ricoverato", ricovero=date(2026, 1, 25)),
           voce("C1", prima(25), classe="A", stato="cancellato", cancellazione=prima(1))]
    assert calcola(ricoveri=ric) == []


def test_order_most_urgent_first_then_id() -> None:
    righe = calcola(
        prenotazioni=[prenotazione("P-b", 12, 7), prenotazione("P-a", 12, 7),
                      prenotazione("P-c", 3, 2)],
        ricoveri=[voce("S1", prima(40), classe="A"),          # 10 past
                  voce("S0", prima(35), classe="A", reparto="09"),
                  voce("Y1", date(2026, 4, 1)), voce("Y2", date(2026, 4, 1), classe="A"),
                  voce("X2", date(2026, 4, 2), stato="ricoverato", ricovero=date(2026, 4, 20)),
                  voce("Y3", date(2026, 4, 25), reparto="09"),        # 66 days: 6 past
                  voce("X1", date(2026, 4, 26), reparto="09", stato="ricoverato",
                       ricovero=date(2026, 5, 20)),
                  voce("K1", prima(25), classe="A", reparto="10"),
                  voce("K0", prima(18), classe="A", reparto="10")])
    assert chiavi(righe) == [
        ("superamento_senza_motivazione", "ricoveri", "Y2"),       # A, 90 − 30 = 60
        ("superamento_senza_motivazione", "ricoveri", "S1"),       # A, 10
        ("superamento_senza_motivazione", "ricoveri", "S0"),       # A, 5
        ("superamento_senza_motivazione", "ricoveri", "Y1"),       # B, 90 − 60 = 30
        ("superamento_senza_motivazione", "ricoveri", "Y3"),       # B, 6
        ("superamento_senza_motivazione", "prestazioni", "P-a"),   # no class, 5, then by id
        ("superamento_senza_motivazione", "prestazioni", "P-b"),   # no class, 5
        ("superamento_senza_motivazione", "prestazioni", "P-c"),   # no class, 1
        ("fuori_ordine_senza_motivazione", "ricoveri", "X2"),      # overtook 2
        ("fuori_ordine_senza_motivazione", "ricoveri", "X1"),      # overtook 1
        ("in_scadenza", "ricoveri", "K1"),                         # 5 days left
        ("in_scadenza", "ricoveri", "K0"),                         # 12 days left
    ]


def test_the_class_comes_before_the_days_beyond_the_target() -> None:
    # U > B > D > P > none for the bookings: an urgent one 1 day past before a programmed
    # one 70 days past
    righe = calcola(prenotazioni=[
        prenotazione("P-p", 100, 30, classe="P"), prenotazione("P-none", 200, 30),
        prenotazione("P-d", 65, 60, classe="D"), prenotazione("P-b", 11, 10, classe="B"),
        prenotazione("P-u", 4, 3, classe="U")])
    assert [r["id"] for r in righe] == ["P-u", "P-b", "P-d", "P-p", "P-none"]


def test_empty_inputs() -> None:
    assert calcola() == []


def test_stato_non_aggiornato() -> None:
    """A booking still `prenotata` after its appointment's day is listed (never sanctioned):
    the appointment's day itself is not over; other states and future days are not listed."""
    def pren(id_: str, stato: str, giorno: date) -> dict[str, Any]:
        return {**prenotazione(id_, 3, 7), "stato": stato,
                "data_appuntamento": datetime.combine(giorno, datetime.min.time())}

    righe = [pren("IERI", "prenotata", prima(1)), pren("OGGI", "prenotata", OGGI),
             pren("VECCHIA", "prenotata", prima(40)), pren("EROGATA", "erogata", prima(5)),
             pren("DOMANI", "prenotata", OGGI + timedelta(days=1))]
    df = lista_monitoraggio(
        prenotazioni=pl.DataFrame(righe), ricoveri=derivati_ricoveri(
            frame([]).lazy(), PNGLA, OGGI).collect(),
        fuori_ordine=fuori_ordine(frame([]).lazy()),
        motivazioni=pl.DataFrame([], schema=SCHEMA_MOTIVAZIONI_IN), oggi=OGGI)
    assert df.schema == SCHEMA
    voci = df.filter(pl.col("lista") == "stato_non_aggiornato")
    assert voci.select("id", "giorni", "dal", "motivato", "registro").rows() == [
        ("VECCHIA", 40, prima(39), False, "prestazioni"),
        ("IERI", 1, OGGI, False, "prestazioni"),
    ]
    assert df.height == voci.height  # nothing past its target among these


@pytest.mark.parametrize("motivata", [False, True])
def test_bookings_out_of_chronological_order(motivata: bool) -> None:
    """Carta §5.1: a booking that overtook others of its agenda is listed with the number
    overtaken, until a motivazione `fuori_ordine` for it (a `superamento` one does not
    clear it)."""
    def pren(id_: str, scavalcati: int | None) -> dict[str, Any]:
        return {**prenotazione(id_, 3, 7), "stato": "erogata", "fuori_ordine": scavalcati,
                "data_appuntamento": datetime.combine(prima(2), datetime.min.time())}

    motivazioni = [motivazione("prestazioni", "DUE", "superamento")] + (
        [motivazione("prestazioni", "DUE", "fuori_ordine")] if motivata else [])
    df = lista_monitoraggio(
        prenotazioni=pl.DataFrame([pren("UNO", 1), pren("DUE", 2), pren("ZERO", 0),
                                   pren("NULLA", None)]),
        ricoveri=derivati_ricoveri(frame([]).lazy(), PNGLA, OGGI).collect(),
        fuori_ordine=fuori_ordine(frame([]).lazy()),
        motivazioni=pl.DataFrame(motivazioni, schema=SCHEMA_MOTIVAZIONI_IN), oggi=OGGI)
    assert df.schema == SCHEMA
    assert df.select("lista", "registro", "id", "giorni", "soglia", "dal").rows() == [
        ("fuori_ordine_senza_motivazione", "prestazioni", "DUE", 2, None, prima(2)),
        ("fuori_ordine_senza_motivazione", "prestazioni", "UNO", 1, None, prima(2)),
    ][motivata:]
