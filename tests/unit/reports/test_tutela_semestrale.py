"""The semestral tutela figures (reports.tutela.sezione) equal the plain-Python oracle on
generated segnalazioni, in calendar and in working days; plus a small register computed by
hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from supporto.oracoli import tutela as oracolo

from registro.periodo import Periodo
from registro.tutela import regole
from reports.tutela import COLONNE_SEGNALAZIONE, sezione

H2 = Periodo.parse("2025-H2")
SERVIZI = ["Cardiologia", "CUP", "Radiologia", None]
ESITI = ["accolta", "parzialmente_accolta", "respinta"]


@st.composite
def segnalazione(draw: st.DrawFn, numero: int) -> dict[str, Any]:
    ricevuta = date(2025, 5, 1) + timedelta(days=draw(st.integers(0, 300)))
    s: dict[str, Any] = {c: None for c in COLONNE_SEGNALAZIONE}
    s.update(id=numero, ricevuta_il=ricevuta, tipo=draw(st.sampled_from(oracolo.TIPI)),
             canale=draw(st.sampled_from(oracolo.CANALI)),
             servizio=draw(st.sampled_from(SERVIZI)), urgente=draw(st.booleans()),
             data_conoscenza=draw(st.one_of(
                 st.none(), st.integers(0, 40).map(lambda k: ricevuta - timedelta(days=k)))))
    # small steps, so that every term is often met exactly on, or just after, its due date
    passo = st.integers(0, 12).map(lambda k: timedelta(days=k))
    lungo = st.integers(20, 40).map(lambda k: timedelta(days=k))
    giorno = ricevuta
    via = draw(st.sampled_from(["aperta", "risolta", "catena"]))
    if via == "risolta":
        giorno += draw(passo)
        s.update(risolta_il=giorno, esito=draw(st.sampled_from(ESITI)))
    elif via == "catena":
        for colonna in ("trasmessa_il", "servizi_informati_il", "informazioni_ricevute_il",
                        "risposta_il"):
            if draw(st.integers(0, 9)) == 0:
                break
            giorno += draw(lungo if colonna == "risposta_il" and draw(st.booleans())
                           else passo)
            s[colonna] = giorno
        if s["risposta_il"]:
            s["esito"] = draw(st.sampled_from(ESITI))
    if (s["risolta_il"] or s["risposta_il"]) and draw(st.booleans()):
        giorno += draw(lungo)
        s["riesame_il"] = giorno
        if draw(st.booleans()):
            giorno += draw(lungo)
            s.update(riesame_concluso_il=giorno, esito_riesame=draw(st.sampled_from(ESITI)))
    s["stato"] = regole.stato_da_date(s)
    return s


@st.composite
def registro(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 40))
    return [draw(segnalazione(i + 1)) for i in range(n)]


opzioni = st.fixed_dictionaries({
    "calendario": st.sampled_from(["solari", "lavorativi"]),
    "sabato": st.booleans(),
    "patrono": st.sampled_from([None, "12-07", "08-16"]),
    "trasmissione": st.integers(0, 5), "trasmissione_urgente": st.integers(0, 3),
    "informazione_servizi": st.integers(0, 5), "risposta_servizi": st.integers(3, 10),
    "risposta": st.integers(10, 40),
    "ritardo": st.integers(5, 20),
})


def _termini(opz: dict[str, Any]) -> regole.Termini:
    return regole.Termini(trasmissione=opz["trasmissione"],
                          trasmissione_urgente=opz["trasmissione_urgente"],
                          informazione_servizi=opz["informazione_servizi"],
                          risposta_servizi=opz["risposta_servizi"], risposta=opz["risposta"],
                          ritardo_segnalazione=opz["ritardo"], calendario=opz["calendario"],
                          sabato_lavorativo=opz["sabato"], patrono=opz["patrono"])


def _calcola(righe: list[dict[str, Any]], opz: dict[str, Any], soglia: int
             ) -> dict[str, list[dict[str, Any]]]:
    frame = pl.DataFrame(righe, schema=COLONNE_SEGNALAZIONE, orient="row")
    tabelle = sezione(frame, termini=_termini(opz), periodo=H2, soglia=soglia)
    return {"tutela": tabelle["tutela"].to_dicts(),
            "tutela_riepilogo": tabelle["tutela_riepilogo"].drop("descrizione").to_dicts()}


@settings(max_examples=150, deadline=None)
@given(righe=registro(), opz=opzioni, soglia=st.integers(1, 6))
def test_semestral_figures_equal_the_oracle(righe: list[dict[str, Any]], opz: dict[str, Any],
                                            soglia: int) -> None:
    atteso = oracolo.sezione(righe, inizio=H2.inizio, fine=H2.fine, opz=opz, soglia=soglia)
    assert _calcola(righe, opz, soglia) == atteso


SOLARI = {"calendario": "solari", "sabato": False, "patrono": None, "trasmissione": 3,
          "trasmissione_urgente": 1,
          "informazione_servizi": 3, "risposta_servizi": 7, "risposta": 30, "ritardo": 15}


def _s(numero: int, ricevuta: date, **campi: Any) -> dict[str, Any]:
    s: dict[str, Any] = {c: None for c in COLONNE_SEGNALAZIONE}
    s.update({"id": numero, "ricevuta_il": ricevuta, "tipo": "reclamo", "canale": "email",
              "servizio": "CUP", **campi})
    s["stato"] = regole.stato_da_date(s)
    return s


def test_a_small_register_by_hand() -> None:
    luglio = date(2025, 7, 1)
    righe = [
        # resolved at once: 0 days, within every term
        _s(1, luglio, risolta_il=luglio, esito="accolta", tipo="disfunzione"),
        # full path, every term on its due date: reply on day 30
        _s(2, luglio, trasmessa_il=date(2025, 7, 4), servizi_informati_il=date(2025, 7, 7),
           informazioni_ricevute_il=date(2025, 7, 14), risposta_il=date(2025, 7, 31),
           esito="respinta", data_conoscenza=date(2025, 6, 16)),          # 15 days: on time
        # transmitted a day late, reply on day 31: late; filed on day 16: tardiva
        _s(3, luglio, trasmessa_il=date(2025, 7, 5), servizi_informati_il=date(2025, 7, 8),
           informazioni_ricevute_il=date(2025, 7, 15), risposta_il=date(2025, 8, 1),
           esito="accolta", data_conoscenza=date(2025, 6, 15), canale="lettera"),
        # still waiting for the Direzione at the end of the year: overdue
        _s(4, date(2025, 12, 1), servizio=None),
        # answered in 2025-H2 though received before: a determinazione of the period
        _s(5, date(2025, 6, 20), risolta_il=date(2025, 7, 2), esito="respinta",
           riesame_il=date(2025, 7, 20)),
        # received after the period: not seen
        _s(6, date(2026, 1, 2)),
    ]
    out = _calcola(righe, SOLARI, soglia=1)
    riepilogo = {r["indicatore"]: r["valore"] for r in out["tutela_riepilogo"]}
    assert riepilogo == {
        "ricevute": "4", "tardive": "1", "risposte": "4", "risposte_immediate": "2",
        # reply days 0, 30, 31, 12 → sorted 0, 12, 30, 31 → (12 + 30) / 2
        "mediana_giorni_risposta": "21.0",
        "quota_risposta_nei_termini": "0.750",       # 3 of 4 within 30 days
        "quota_tutti_i_termini": "0.500",   # no. 3 transmitted late; no. 5 resolved on day 12
        "riesami_chiesti": "1", "riesami_conclusi": "0", "in_ritardo_fine_periodo": "1",
    }
    conteggi = {(r["dimensione"], r["voce"]): r["n"] for r in out["tutela"]}
    assert conteggi[("tipo", "reclamo")] == 3 and conteggi[("tipo", "disfunzione")] == 1
    assert conteggi[("tipo", "suggerimento")] == 0
    assert conteggi[("canale", "lettera")] == 1 and conteggi[("canale", "email")] == 3
    assert conteggi[("servizio", "CUP")] == 3 and conteggi[("servizio", "non indicato")] == 1
    assert [k[1] for k in conteggi if k[0] == "esito"] == oracolo.ESITI
    assert (conteggi[("esito", "accolta")], conteggi[("esito", "respinta")],
            conteggi[("esito", "in_istruttoria")]) == (2, 1, 1)
    # with the threshold at 5: the four replies are too few for a median or a share, and the
    # services' small counts are emptied; authority-wide totals stay
    out = _calcola(righe, SOLARI, soglia=5)
    soppressi = {r["indicatore"] for r in out["tutela_riepilogo"] if r["soppresso"]}
    assert soppressi == {"mediana_giorni_risposta", "quota_risposta_nei_termini",
                         "quota_tutti_i_termini"}
    assert all(r["valore"] is None for r in out["tutela_riepilogo"] if r["soppresso"])
    servizi = [r["n"] for r in out["tutela"] if r["dimensione"] == "servizio"]
    assert servizi == [None, None]
    assert [r["n"] for r in out["tutela"] if r["dimensione"] == "tipo"] == [1, 0, 3]
    assert out == oracolo.sezione(righe, inizio=H2.inizio, fine=H2.fine, opz=SOLARI, soglia=5)
