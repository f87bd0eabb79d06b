"""Tests of reports.stats_ricoveri, and Hypothesis: the order rule, the monitoring list and the
ricoveri table equal the plain-Python oracle on random lists."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from supporto.oracoli import ricoveri as oracolo
from supporto.oracoli.ricoveri import SCHEMA_MOTIVAZIONI_IN, SCHEMA_PRENOTAZIONI_IN, frame, voce

from registro.ordine import derivati_ricoveri, fuori_ordine
from registro.periodo import Periodo
from registro.standards import PNGLA, Profilo, Regola
from reports.monitoring import lista_monitoraggio
from reports.stats_ricoveri import (
    COLONNE_RICOVERI,
    SCHEMA_RICOVERI,
    scrivi_tabella_ricoveri,
    tabella_ricoveri,
)


def calcola(righe: list[dict[str, Any]], periodo: str = "2026-Q1",
            profilo: Profilo = PNGLA) -> list[dict[str, Any]]:
    lf = frame(righe).lazy()
    df = tabella_ricoveri(lf, profilo=profilo, periodo=Periodo.parse(periodo),
                          fuori_ordine=fuori_ordine(lf))
    assert df.columns == COLONNE_RICOVERI
    assert df.schema == SCHEMA_RICOVERI
    atteso = oracolo.tabella(righe, profilo=profilo, periodo=Periodo.parse(periodo),
                             coppie=oracolo.fuori_ordine(righe))
    assert df.to_dicts() == atteso
    return df.to_dicts()


def ammesso(id_: str, attesa: int, ricovero: date, **kw: Any) -> dict[str, Any]:
    return voce(id_, ricovero - timedelta(days=attesa), stato="ricoverato", ricovero=ricovero,
                **kw)


def test_admissions_of_the_period() -> None:
    giorno = date(2026, 2, 10)
    righe = [ammesso(f"R{i}", a, giorno, classe="B") for i, a in enumerate([10, 20, 30, 61])]
    righe += [ammesso("fuori-prima", 5, date(2025, 12, 31), classe="B"),   # not in 2026-Q1
              ammesso("fuori-dopo", 5, date(2026, 4, 1), classe="B")]
    (riga,) = calcola(righe)
    assert riga == {
        "periodo": "2026-Q1", "codice_reparto": "36", "codice_patologia": "81.51",
        "classe_priorita": "B", "n": 4, "attesa_media": 30.3, "attesa_mediana": 25.0,
        "attesa_p90": 61, "standard_giorni": 60, "quota_entro_standard": 0.75,
        # "fuori-dopo" (inserted 2026-03-27, admitted 2026-04-01) still waits on 31 March
        "in_attesa": 1, "attesa_massima_in_corso": 4, "fuori_ordine": 0}


def test_rounding_half_up_and_even_median() -> None:
    giorno = date(2026, 2, 10)
    # waits 1, 2, 3, 3: mean 2.25 → 2.3 (half up), median (2 + 3) / 2 = 2.5, p90 the 4th
    righe = [ammesso(f"R{i}", a, giorno, classe="A") for i, a in enumerate([1, 2, 3, 3])]
    (riga,) = calcola(righe)
    assert (riga["attesa_media"], riga["attesa_mediana"], riga["attesa_p90"]) == (2.3, 2.5, 3)
    # 1 of 8 within a 0-day maximum: 0.125; 1 of 16: 0.0625 → 0.063
    profilo = Profilo(nome="t", specialistica=(), ricoveri=(Regola(0, (("classe_priorita",
                                                                        "A"),)),))
    for n, quota in [(8, 0.125), (16, 0.063)]:
        righe = [ammesso(f"R{i}", 0 if i == 0 else 1, giorno, classe="A") for i in range(n)]
        (riga,) = calcola(righe, profilo=profilo)
        assert riga["quota_entro_standard"] == quota


def test_rounding_exact_with_several_rows() -> None:
    # polars divides a column of several rows by a literal through its reciprocal
    # (207 · 0.1 = 20.700000000000003): the table must still carry the nearest double
    giorno = date(2026, 2, 10)
    righe = [ammesso(f"A{i}", a, giorno, classe="A") for i, a in enumerate([20, 21, 21])]
    righe += [ammesso(f"B{i}", a, giorno, classe="B") for i, a in enumerate([0, 0, 1])]
    out = calcola(righe)
    assert [(r["attesa_media"], r["quota_entro_standard"]) for r in out] == [
        (20.7, 1.0), (0.3, 1.0)]


def test_list_at_the_end_of_the_period() -> None:
    ultimo = date(2026, 3, 31)
    righe = [
        voce("attende", date(2026, 1, 1), classe="C"),                       # 89 days
        voce("ultimo-giorno", ultimo, classe="C"),                           # 0 days
        voce("dopo", date(2026, 4, 1), classe="C"),                          # not yet listed
        voce("ammesso-dopo", date(2025, 12, 1), classe="C", stato="ricoverato",
             ricovero=date(2026, 4, 1)),                                     # 120 days
        voce("ammesso-ultimo", date(2025, 12, 1), classe="C", stato="ricoverato",
             ricovero=ultimo),                                               # admitted: gone
        voce("cancellato-dopo", date(2026, 2, 1), classe="C", stato="cancellato",
             cancellazione=date(2026, 4, 2)),                                # still waiting
        voce("cancellato-ultimo", date(2026, 2, 1), classe="C", stato="cancellato",
             cancellazione=ultimo),
        voce("cancellato-senza-data", date(2025, 1, 1), classe="C", stato="cancellato"),
    ]
    righe_tab = calcola(righe)
    assert [(r["n"], r["in_attesa"], r["attesa_massima_in_corso"]) for r in righe_tab] == [
        (1, 4, 120)]
    # a group with nobody admitted in the period: statistics null, its maximum given
    (riga,) = calcola([voce("solo", date(2026, 1, 1), classe="D", patologia="13.41")])
    assert riga == {
        "periodo": "2026-Q1", "codice_reparto": "36", "codice_patologia": "13.41",
        "classe_priorita": "D", "n": 0, "attesa_media": None, "attesa_mediana": None,
        "attesa_p90": None, "standard_giorni": 365, "quota_entro_standard": None,
        "in_attesa": 1, "attesa_massima_in_corso": 89, "fuori_ordine": 0}


def test_groups_counts_and_order() -> None:
    righe = [
        voce("Y", date(2026, 1, 5), classe="B", reparto="36"),
        ammesso("X", 30, date(2026, 2, 10), classe="B", reparto="36"),       # overtakes Y
        ammesso("X-prima", 5, date(2025, 12, 1), classe="A", reparto="36"),  # not in period
        ammesso("Z", 3, date(2026, 3, 1), classe="A", reparto="09", patologia="53.00"),
        voce("W", date(2026, 3, 20), classe="A", reparto="09", patologia="13.41"),
    ]
    out = calcola(righe)
    assert [(r["codice_reparto"], r["codice_patologia"], r["classe_priorita"], r["n"],
             r["in_attesa"], r["fuori_ordine"]) for r in out] == [
        ("09", "13.41", "A", 0, 1, 0),
        ("09", "53.00", "A", 1, 0, 0),
        ("36", "81.51", "B", 1, 1, 1),
    ]


def test_no_maximum_no_share() -> None:
    profilo = Profilo(nome="vuoto", specialistica=(), ricoveri=())
    (riga,) = calcola([ammesso("X", 3, date(2026, 2, 1))], profilo=profilo)
    assert (riga["n"], riga["standard_giorni"], riga["quota_entro_standard"]) == (1, None, None)


def test_empty_list() -> None:
    assert calcola([]) == []


def test_write_csv_and_json(tmp_path: Path) -> None:
    righe = [ammesso("X", 3, date(2026, 2, 1)), voce("W", date(2026, 3, 1), reparto="=HYPER")]
    df = tabella_ricoveri(frame(righe).lazy(), profilo=PNGLA, periodo=Periodo.parse("2026-Q1"),
                          fuori_ordine=fuori_ordine(frame(righe).lazy()))
    percorso = scrivi_tabella_ricoveri(df, tmp_path / "out" / "ricoveri.csv", "csv")
    with percorso.open(encoding="utf-8", newline="") as f:
        letti = list(csv.DictReader(f))
    assert list(letti[0]) == COLONNE_RICOVERI
    assert letti[0]["attesa_media"] == "3.0"
    assert letti[1]["codice_reparto"] == "'=HYPER"          # neutralised formula
    assert letti[1]["attesa_media"] == ""                   # null → empty cell
    percorso = scrivi_tabella_ricoveri(df, tmp_path / "ricoveri.json", "json")
    assert json.loads(percorso.read_text(encoding="utf-8")) == df.to_dicts()
    with pytest.raises(ValueError, match="formato"):
        scrivi_tabella_ricoveri(df, tmp_path / "x", "xml")  # type: ignore[arg-type]


# --- Hypothesis: polars equals the oracle -----------------------------------------------------

INIZIO = date(2025, 1, 1)
OGGI = date(2026, 12, 31)
ORE = [time(0, 0), time(8, 0), time(8, 0), time(23, 59)]   # repeated: equal timestamps
PERIODI = ["2025", "2026", "2025-H2", "2026-Q1", "2026-05", "2025-11", "2026-12"]

# pngla's class maxima with a local ward and a ward × pathology override
LOCALE = Profilo(nome="pngla+locale", specialistica=(), ricoveri=(
    *PNGLA.ricoveri,
    Regola(20, (("codice_reparto", "02"),)),
    Regola(90, (("codice_patologia", "p1"), ("codice_reparto", "01"))),
))


@st.composite
def istante(draw: st.DrawFn, da: date, fino: date) -> datetime:
    giorno = da + timedelta(days=draw(st.integers(0, max(0, (fino - da).days))))
    return datetime.combine(giorno, draw(st.sampled_from(ORE)))


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, Any]:
    """A list as of `oggi` (nothing after it), bookings and motivazioni on their ids."""
    oggi = OGGI - timedelta(days=draw(st.integers(0, 120)))
    righe = []
    for i in range(draw(st.integers(0, 30))):
        # half of them recent, so that entries near their maximum turn up
        indietro = draw(st.one_of(st.integers(0, 90), st.integers(0, (oggi - INIZIO).days)))
        inserita = datetime.combine(oggi - timedelta(days=indietro), draw(st.sampled_from(ORE)))
        stato = draw(st.sampled_from(["in_attesa", "ricoverato", "ricoverato", "cancellato"]))
        fino = min(oggi, inserita.date() + timedelta(days=120))
        ricovero = cancellazione = None
        if stato == "ricoverato":
            ricovero = draw(istante(inserita.date(), fino))
        elif stato == "cancellato" and draw(st.booleans()):
            cancellazione = draw(istante(inserita.date(), fino))
        righe.append({
            "id_ricovero": f"R{i:02d}", "data_inserimento": inserita,
            "codice_reparto": draw(st.sampled_from(["01", "02"])),
            "codice_patologia": draw(st.sampled_from(["p1", "p2"])),
            "classe_priorita": draw(st.sampled_from("ABCD")), "stato": stato,
            "data_ricovero": ricovero, "data_cancellazione": cancellazione,
        })

    pren: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(0, 8))):
        standard = draw(st.sampled_from([None, 2, 7]))
        attesa = draw(st.integers(0, 12))
        # ids may coincide with the ricoveri ones: the list tells the registers apart
        id_ = draw(st.sampled_from([f"P{i}", f"R{i:02d}"]))
        pren[id_] = {
            "id_prenotazione": id_,
            "codice_prestazione": draw(st.sampled_from(["89.7", "88.71.4"])),
            "codice_sede": "S1", "classe_priorita": draw(st.sampled_from([None, "B", "D"])),
            "attesa_giorni": attesa, "standard_giorni": standard,
            "superamento": standard is not None and attesa > standard and draw(st.booleans()),
            "data_prenotazione": draw(istante(oggi - timedelta(days=200), oggi)),
        }

    ids = [r["id_ricovero"] for r in righe] + list(pren) + ["altro"]
    motivazioni = [{"registro": draw(st.sampled_from(["prestazioni", "ricoveri"])),
                    "id": draw(st.sampled_from(ids)),
                    "oggetto": draw(st.sampled_from(["superamento", "fuori_ordine"])),
                    "registrata_il": draw(istante(oggi - timedelta(days=200), oggi))}
                   for _ in range(draw(st.integers(0, 12)))]
    return {"oggi": oggi, "righe": righe, "prenotazioni": list(pren.values()),
            "motivazioni": motivazioni}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dati=scenario(), preavviso=st.sampled_from([0, 14, 60]), includi=st.booleans(),
       periodo=st.sampled_from(PERIODI))
def test_equal_to_the_oracle(dati: dict[str, Any], preavviso: int, includi: bool,
                             periodo: str) -> None:
    righe, pren, mot, oggi = dati["righe"], dati["prenotazioni"], dati["motivazioni"], dati["oggi"]
    lf = frame(righe).lazy()
    coppie = fuori_ordine(lf)
    coppie_attese = oracolo.fuori_ordine(righe)
    assert coppie.to_dicts() == coppie_attese

    lista = lista_monitoraggio(
        prenotazioni=pl.DataFrame(pren, schema=SCHEMA_PRENOTAZIONI_IN),
        ricoveri=derivati_ricoveri(lf, LOCALE, oggi).collect(), fuori_ordine=coppie,
        motivazioni=pl.DataFrame(mot, schema=SCHEMA_MOTIVAZIONI_IN), oggi=oggi,
        giorni_preavviso=preavviso, includi_motivati=includi)
    assert lista.to_dicts() == oracolo.lista(
        prenotazioni=pren, ricoveri=oracolo.derivati(righe, LOCALE, oggi), coppie=coppie_attese,
        motivazioni=mot, giorni_preavviso=preavviso, includi_motivati=includi)

    p = Periodo.parse(periodo)
    tabella = tabella_ricoveri(lf, profilo=LOCALE, periodo=p, fuori_ordine=coppie)
    assert tabella.schema == SCHEMA_RICOVERI
    assert tabella.to_dicts() == oracolo.tabella(righe, profilo=LOCALE, periodo=p,
                                                 coppie=coppie_attese)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dati=scenario(), periodo=st.sampled_from(PERIODI), soglia=st.sampled_from([0, 1, 3]))
def test_conferenza_per_reparto_uguale_all_oracolo(dati: dict[str, Any], periodo: str,
                                                   soglia: int) -> None:
    """The Conferenza report's per-ward table is published: checked against the oracle."""
    from reports.conferenza import ricoveri_per_reparto

    righe = dati["righe"]
    p = Periodo.parse(periodo)
    reparti = {"01": "Chirurgia generale"}
    nostra = ricoveri_per_reparto(
        frame(righe).lazy(), pl.DataFrame({"codice_reparto": list(reparti),
                                           "nome": list(reparti.values())}),
        profilo=LOCALE, periodo=p, soglia=soglia)
    assert nostra.to_dicts() == oracolo.per_reparto(
        righe, profilo=LOCALE, periodo=p, coppie=oracolo.fuori_ordine(righe),
        reparti=reparti, soglia=soglia)
