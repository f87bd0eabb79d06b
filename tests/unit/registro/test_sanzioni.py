"""Bonum / malum / refund engine (registro.sanzioni): boundaries by hand, the rest against
the naive oracle (tests/supporto/oracoli/sanzioni.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from supporto.oracoli import sanzioni as oracle

from registro.money import euro
from registro.sanzioni import COLONNE_INGRESSO, RegimeSanzioni, riconcilia, sanzioni_dovute
from registro.settings import Settings

CARTA = RegimeSanzioni()
DL73 = RegimeSanzioni(regime="dl73")
APP = datetime(2026, 3, 12, 10, 0)  # a Thursday: the dl73 termine is Tuesday 10 March
ORA = timedelta(hours=1)
MINUTO = timedelta(minutes=1)
OGGI = date(2026, 3, 20)  # the check's reference date: after APP


def pren(id_prenotazione: str = "p1", stato: str = "prenotata", **campi: Any) -> dict[str, Any]:
    riga: dict[str, Any] = dict.fromkeys(COLONNE_INGRESSO)
    riga.update(id_prenotazione=id_prenotazione, stato=stato, data_appuntamento=APP)
    riga.update(campi)
    return riga


def frame(*righe: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(righe), schema=COLONNE_INGRESSO)


def dovute(regime: RegimeSanzioni, *righe: dict[str, Any], oggi: date = OGGI) -> pl.DataFrame:
    return sanzioni_dovute(frame(*righe).lazy(), regime, oggi).collect()


def records(regime: RegimeSanzioni, *righe: dict[str, Any], oggi: date = OGGI
            ) -> set[tuple[str, str, int]]:
    df = dovute(regime, *righe, oggi=oggi)
    out = {(r["id_prenotazione"], r["tipo"], r["importo_cent"]) for r in df.iter_rows(named=True)}
    assert len(out) == df.height  # at most one record per (booking, tipo)
    return out


# ---------------------------------------------------------------- carta1995


MALUM_E_DIFFERENZA = {("p1", "malum", 2582), ("p1", "rimborso_differenza", 1068)}


@pytest.mark.parametrize(
    ("anticipo", "rimborso"),
    [
        (48 * ORA - MINUTO, False),  # 47:59
        (48 * ORA, True),  # 48:00 counts as timely
        (48 * ORA + MINUTO, True),  # 48:01
        (timedelta(days=30), True),
        (timedelta(0), False),
        (-ORA, False),  # after the appointment
        (-timedelta(days=3), False),
    ],
)
def test_carta_preavviso_48_ore(anticipo: timedelta, rimborso: bool) -> None:
    """§5.5: timely notice gives the ticket back; §5.3/§5.6: late notice (or a cancellation
    after the appointment) gives the records of a no-show."""
    riga = pren(stato="disdetta_utente", data_disdetta=APP - anticipo, importo_ticket_cent=3650)
    attesi = {("p1", "rimborso_ticket", 3650)} if rimborso else MALUM_E_DIFFERENZA
    assert records(CARTA, riga) == attesi


def test_carta_disdetta_tardiva_motivi() -> None:
    tardiva = pren("p1", "disdetta_utente", data_disdetta=APP - ORA, importo_ticket_cent=3650)
    dopo = pren("p2", "disdetta_utente", data_disdetta=APP + ORA)
    motivi = {(r["id_prenotazione"], r["tipo"]): r["motivo"]
              for r in dovute(CARTA, tardiva, dopo).iter_rows(named=True)}
    assert "meno di 48 ore" in motivi["p1", "malum"]
    assert "fissato dall'ente" in motivi["p1", "malum"]
    assert motivi["p1", "malum"].endswith("(Carta dei servizi §5.3, §5.6)")
    assert "restituzione della differenza" in motivi["p1", "rimborso_differenza"]
    assert "dopo l'appuntamento" in motivi["p2", "malum"]
    assert set(motivi) == {("p1", "malum"), ("p1", "rimborso_differenza"), ("p2", "malum")}


SENZA_ORA = datetime(2026, 3, 12)  # a date-only appointment arrives as 00:00


@pytest.mark.parametrize(
    ("disdetta", "rimborso"),
    [
        (datetime(2026, 3, 11, 0, 0), True),  # exactly 48:00 before 24:00 of the 12th
        (datetime(2026, 3, 11, 0, 1), False),  # 47:59 before it
        (datetime(2026, 3, 10, 23, 59), True),  # 48:01
        (datetime(2026, 3, 11, 12, 0), False),  # 36 h
        (datetime(2026, 3, 12, 9, 0), False),  # the day itself
    ],
)
def test_carta_appuntamento_senza_ora_fine_giornata(disdetta: datetime, rimborso: bool) -> None:
    """Without a time, the appointment is taken at the end of its day (24:00) for the
    notice, in the citizen's favour: the boundary is 11 March 00:00, not 10 March 00:00."""
    riga = pren(stato="disdetta_utente", data_appuntamento=SENZA_ORA, data_disdetta=disdetta,
                importo_ticket_cent=3650)
    attesi = {("p1", "rimborso_ticket", 3650)} if rimborso else MALUM_E_DIFFERENZA
    assert records(CARTA, riga) == attesi


def test_carta_fine_giornata_cambia_l_esito() -> None:
    """Counted from 00:00 of the 12th, a cancellation on 10 March at 06:00 would be 42 h:
    late. From 24:00 it is 66 h: timely."""
    riga = pren(stato="disdetta_utente", data_appuntamento=SENZA_ORA,
                data_disdetta=datetime(2026, 3, 10, 6, 0), importo_ticket_cent=3650)
    assert records(CARTA, riga) == {("p1", "rimborso_ticket", 3650)}
    con_ora = {**riga, "data_appuntamento": datetime(2026, 3, 12, 0, 1)}
    assert records(CARTA, con_ora) == MALUM_E_DIFFERENZA


@pytest.mark.parametrize(
    ("oggi", "dovuto"),
    [
        (date(2026, 3, 11), False),  # the day before the appointment
        (date(2026, 3, 12), True),  # the appointment's day
        (date(2026, 3, 13), True),
    ],
)
@pytest.mark.parametrize("regime", [CARTA, DL73])
def test_nulla_per_cio_che_non_e_avvenuto(oggi: date, dovuto: bool,
                                         regime: RegimeSanzioni) -> None:
    """A no-show or a late cancellation whose appointment is after the reference date
    issues nothing yet; a timely cancellation is a fact already: its refund is due."""
    non_presentato = pren("p1", "non_presentato", importo_ticket_cent=3650,
                          quota_ordinaria_cent=2300)
    tardiva = pren("p2", "disdetta_utente", data_disdetta=APP - ORA,
                   importo_ticket_cent=3650, quota_ordinaria_cent=2300)
    tempestiva = pren("p3", "disdetta_utente", data_disdetta=APP - timedelta(days=9),
                      importo_ticket_cent=3650, quota_ordinaria_cent=2300)
    trovati = records(regime, non_presentato, tardiva, tempestiva, oggi=oggi)
    malum = {(p, t) for p, t, _ in trovati if t in ("malum", "rimborso_differenza")}
    attesi = ({(p, t) for p in ("p1", "p2") for t in ("malum", "rimborso_differenza")}
              if dovuto else set())
    assert malum == attesi
    assert ("p3", "rimborso_ticket", 3650) in trovati


def test_carta_preavviso_impostabile_e_ticket_zero() -> None:
    regime = RegimeSanzioni(preavviso_ore=24)
    riga = pren(stato="disdetta_utente", data_disdetta=APP - 24 * ORA, importo_ticket_cent=100)
    assert records(regime, riga) == {("p1", "rimborso_ticket", 100)}
    esente = pren(stato="disdetta_utente", data_disdetta=APP - timedelta(days=5),
                  importo_ticket_cent=0)
    senza_ticket = pren(stato="disdetta_utente", data_disdetta=APP - timedelta(days=5))
    assert records(CARTA, esente, senza_ticket) == set()  # never a zero record


def test_disdetta_senza_data_non_da_nulla() -> None:
    riga = pren(stato="disdetta_utente", importo_ticket_cent=3000, quota_ordinaria_cent=3000)
    assert records(CARTA, riga) == set()
    assert records(DL73, riga) == set()


@pytest.mark.parametrize(
    ("ticket", "attesi"),
    [
        (None, {("p1", "malum", 2582)}),
        (0, {("p1", "malum", 2582)}),  # exempt citizen: owes the whole malum
        (1000, {("p1", "malum", 2582)}),  # owes 15,82 more: information, not a record
        (2581, {("p1", "malum", 2582)}),
        (2582, {("p1", "malum", 2582)}),  # equal: no zero differenza
        (2583, {("p1", "malum", 2582), ("p1", "rimborso_differenza", 1)}),
        (3650, {("p1", "malum", 2582), ("p1", "rimborso_differenza", 1068)}),
    ],
)
def test_carta_non_presentato(ticket: int | None, attesi: set[tuple[str, str, int]]) -> None:
    assert records(CARTA, pren(stato="non_presentato", importo_ticket_cent=ticket)) == attesi


@pytest.mark.parametrize(
    ("esito", "ticket", "attesi"),
    [
        ("rinuncia", 3650, {("p1", "bonum", 2582), ("p1", "rimborso_ticket", 3650)}),
        ("rinuncia", 0, {("p1", "bonum", 2582)}),
        ("rinuncia", None, {("p1", "bonum", 2582)}),
        ("riprogrammata", 3650, {("p1", "bonum", 2582)}),  # bonum instead of the refund
        (None, 3650, {("p1", "bonum", 2582)}),  # esito unknown: bonum only
    ],
)
def test_carta_annullata_ente(
    esito: str | None, ticket: int | None, attesi: set[tuple[str, str, int]]
) -> None:
    riga = pren(stato="annullata_ente", esito_annullamento=esito, importo_ticket_cent=ticket)
    assert records(CARTA, riga) == attesi


@pytest.mark.parametrize("causale", ["emergenza", "EMERGENZA", "  Emergenza ", "\temergenza\n"])
def test_carta_causale_esente(causale: str) -> None:
    riprogrammata = pren("p1", "annullata_ente", causale_annullamento=causale,
                         esito_annullamento="riprogrammata", importo_ticket_cent=3650)
    senza_esito = pren("p2", "annullata_ente", causale_annullamento=causale,
                       importo_ticket_cent=3650)
    # DESIGN: the exempt causale removes the bonum; the ticket of a service renounced and
    # never delivered is still refunded (Carta §5.5 "salvo rimborso del ticket")
    rinuncia = pren("p3", "annullata_ente", causale_annullamento=causale,
                    esito_annullamento="rinuncia", importo_ticket_cent=3650)
    assert records(CARTA, riprogrammata, senza_esito, rinuncia) == {
        ("p3", "rimborso_ticket", 3650)
    }


def test_carta_causali_esenti_da_impostazioni() -> None:
    regime = RegimeSanzioni.from_settings(Settings(causali_esenti=[" Sciopero ", "Guasto"]))
    righe = [
        pren("p1", "annullata_ente", causale_annullamento="sciopero"),
        pren("p2", "annullata_ente", causale_annullamento=" GUASTO"),
        pren("p3", "annullata_ente", causale_annullamento="emergenza"),  # no longer listed
        pren("p4", "annullata_ente", causale_annullamento="guasto tecnico"),  # not the same
    ]
    assert records(regime, *righe) == {("p3", "bonum", 2582), ("p4", "bonum", 2582)}
    assert records(RegimeSanzioni(causali_esenti=frozenset()), righe[2]) == {
        ("p3", "bonum", 2582)
    }


def test_regime_non_valido() -> None:
    with pytest.raises(ValueError):
        RegimeSanzioni(regime="altro")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RegimeSanzioni(patrono="7 dicembre")
    with pytest.raises(ValueError):
        RegimeSanzioni(malum_cent=-1)
    with pytest.raises(ValueError):
        RegimeSanzioni(termine_ritiro_referto_giorni=-1)
    assert RegimeSanzioni.from_settings(Settings(patrono="12-07")).patrono == "12-07"


def test_carta_forza_maggiore_ignorata() -> None:
    """forza_maggiore is a D.L. 73/2024 notion: the Carta has no such exception, so under
    carta1995 a documented no-show still gets the malum."""
    riga = pren(stato="non_presentato", forza_maggiore=True, importo_ticket_cent=3000)
    assert records(CARTA, riga) == {("p1", "malum", 2582), ("p1", "rimborso_differenza", 418)}


@pytest.mark.parametrize("stato", ["erogata", "prenotata", "sconosciuto"])
def test_nessun_record(stato: str) -> None:
    riga = pren(stato=stato, importo_ticket_cent=3000, quota_ordinaria_cent=3000,
                esito_annullamento="rinuncia", data_disdetta=APP - timedelta(days=9))
    assert records(CARTA, riga) == set()
    assert records(DL73, riga) == set()


def test_importi_esatti_dalle_impostazioni() -> None:
    regime = RegimeSanzioni.from_settings(Settings(bonum="30,10", malum="25.83"))
    assert (regime.bonum_cent, regime.malum_cent) == (3010, 2583)
    df = dovute(
        regime,
        pren("p1", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=1),
        pren("p2", "non_presentato", importo_ticket_cent=2584),
    )
    assert df.schema == pl.Schema(
        {"id_prenotazione": pl.String, "tipo": pl.String, "importo_cent": pl.Int64,
         "motivo": pl.String}
    )
    assert {(r[0], r[1], euro(r[2])) for r in df.rows()} == {
        ("p1", "bonum", euro(3010)),
        ("p1", "rimborso_ticket", euro(1)),
        ("p2", "malum", euro(2583)),
        ("p2", "rimborso_differenza", euro(1)),
    }
    assert str(euro(df.filter(tipo="bonum")["importo_cent"].item())) == "30.10"


def test_motivi_citano_la_regola() -> None:
    df = dovute(
        CARTA,
        pren("p1", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=100),
        pren("p2", "non_presentato", importo_ticket_cent=9000),
        pren("p3", "annullata_ente", esito_annullamento="riprogrammata"),
    )
    motivi = {(r["id_prenotazione"], r["tipo"]): r["motivo"] for r in df.iter_rows(named=True)}
    assert "rinuncia dell'utente" in motivi["p1", "bonum"]
    assert motivi["p1", "rimborso_ticket"].endswith("(Carta dei servizi §5.5)")
    assert motivi["p2", "malum"].endswith("(Carta dei servizi §5.6)")
    assert "riprogrammata" in motivi["p3", "bonum"]
    assert all(m and m[0].isupper() for m in motivi.values())
    dl73 = dovute(DL73, pren("p2", "non_presentato", quota_ordinaria_cent=2300))
    assert dl73["motivo"].item().endswith("(D.L. 73/2024 art. 3)")


def test_frame_vuoto_e_colonne_facoltative() -> None:
    assert dovute(CARTA).height == 0
    assert dovute(DL73).schema == dovute(CARTA).schema
    minimo = pl.DataFrame({"id_prenotazione": ["p1"], "stato": ["non_presentato"],
                           "data_appuntamento": [APP]}).lazy()
    assert sanzioni_dovute(minimo, CARTA, OGGI).collect()["tipo"].to_list() == ["malum"]
    assert sanzioni_dovute(minimo, DL73, OGGI).collect().height == 0  # quota unknown
    with pytest.raises(ValueError, match="stato"):
        sanzioni_dovute(minimo.drop("stato"), CARTA, OGGI)


# ---------------------------------------------------------------- referti non ritirati

SCADENZA = date(2026, 4, 11)  # APP (12 March) + 30 days


def erogata(id_prenotazione: str = "p1", **campi: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"ritiro_referto_tracciato": True, "tariffa_cent": 4493,
                            "importo_ticket_cent": 3615}
    return pren(id_prenotazione, "erogata", **{**base, **campi})


@pytest.mark.parametrize(
    ("ritiro", "oggi", "dovuto"),
    [
        (None, SCADENZA - timedelta(days=1), False),  # term not over yet
        (None, SCADENZA, False),  # the last day of the term
        (None, SCADENZA + timedelta(days=1), True),  # term over, never collected
        (SCADENZA - timedelta(days=1), date(2026, 6, 1), False),
        (SCADENZA, date(2026, 6, 1), False),  # collected on the last day: in time
        (SCADENZA + timedelta(days=1), date(2026, 6, 1), True),  # collected late
        (date(2026, 3, 12), date(2026, 6, 1), False),  # collected the same day
    ],
)
@pytest.mark.parametrize("regime", [CARTA, DL73])
def test_referto_termine(ritiro: date | None, oggi: date, dovuto: bool,
                         regime: RegimeSanzioni) -> None:
    riga = erogata(data_ritiro_referto=ritiro)
    attesi = {("p1", "referto_non_ritirato", 4493 - 3615)} if dovuto else set()
    assert records(regime, riga, oggi=oggi) == attesi


def test_referto_importi_e_motivi() -> None:
    oggi = date(2026, 6, 1)
    righe = [
        erogata("p1", importo_ticket_cent=0),  # exempt: the whole tariff
        erogata("p2", importo_ticket_cent=None),  # ticket unknown counts as 0
        erogata("p3", importo_ticket_cent=5000),  # paid more than the tariff: nothing
        erogata("p4", importo_ticket_cent=4493),  # paid the whole tariff: nothing
        erogata("p5", tariffa_cent=None),  # tariff unknown: nothing
        erogata("p6", data_ritiro_referto=date(2026, 5, 2)),  # late
    ]
    assert records(CARTA, *righe, oggi=oggi) == {
        ("p1", "referto_non_ritirato", 4493), ("p2", "referto_non_ritirato", 4493),
        ("p6", "referto_non_ritirato", 878),
    }
    motivi = dict(dovute(CARTA, righe[0], righe[5], oggi=oggi)
                  .select("id_prenotazione", "motivo").iter_rows())
    assert motivi["p1"].startswith("Referto non ritirato entro 30 giorni")
    assert motivi["p6"].startswith("Referto ritirato oltre 30 giorni")
    assert all(m.endswith("(Carta dei servizi §5.6; L. 412/1991 art. 4 c. 18)")
               for m in motivi.values())


def test_referto_colonna_assente_non_da_nulla() -> None:
    """An export without `data_ritiro_referto` does not track collections: an empty value
    from it means "not known", never "not collected"."""
    oggi = date(2026, 6, 1)
    assente = erogata(ritiro_referto_tracciato=False)
    ignoto = erogata(ritiro_referto_tracciato=None)
    assert records(CARTA, assente, ignoto, oggi=oggi) == set()
    minimo = pl.DataFrame({"id_prenotazione": ["p1"], "stato": ["erogata"],
                           "data_appuntamento": [APP]}).lazy()
    assert sanzioni_dovute(minimo, CARTA, oggi).collect().height == 0


@pytest.mark.parametrize("stato", ["prenotata", "non_presentato", "annullata_ente",
                                   "disdetta_utente"])
def test_referto_solo_per_le_erogate(stato: str) -> None:
    riga = {**erogata(), "stato": stato}
    trovati = records(CARTA, riga, oggi=date(2026, 6, 1))
    assert not any(t == "referto_non_ritirato" for _, t, _ in trovati)


def test_referto_termine_impostabile() -> None:
    regime = RegimeSanzioni.from_settings(Settings(termine_ritiro_referto_giorni=10))
    assert regime.termine_ritiro_referto_giorni == 10
    assert Settings().termine_ritiro_referto_giorni == 30
    riga = erogata(data_ritiro_referto=date(2026, 3, 23))  # 11 days after
    assert records(regime, riga) == {("p1", "referto_non_ritirato", 878)}
    assert records(CARTA, riga) == set()


# ---------------------------------------------------------------- dl73


def test_dl73_esente_deve_la_quota() -> None:
    esente = pren("p1", "non_presentato", importo_ticket_cent=0, quota_ordinaria_cent=2300)
    pagante = pren("p2", "non_presentato", importo_ticket_cent=2300, quota_ordinaria_cent=2300)
    di_piu = pren("p3", "non_presentato", importo_ticket_cent=3650, quota_ordinaria_cent=2300)
    assert records(DL73, esente, pagante, di_piu) == {
        ("p1", "malum", 2300),
        ("p2", "malum", 2300),
        ("p3", "malum", 2300),
        ("p3", "rimborso_differenza", 1350),
    }


def test_dl73_quota_nulla_o_zero() -> None:
    ignota = pren("p1", "non_presentato", importo_ticket_cent=3000)  # quota unknown: nothing
    zero = pren("p2", "non_presentato", importo_ticket_cent=500, quota_ordinaria_cent=0)
    assert records(DL73, ignota, zero) == {("p2", "rimborso_differenza", 500)}


@pytest.mark.parametrize(
    ("disdetta", "tempestiva"),
    [
        (datetime(2026, 3, 9, 12, 0), True),  # Monday
        (datetime(2026, 3, 10, 23, 59, 59), True),  # the termine day, Tuesday, late evening
        (datetime(2026, 3, 11, 0, 0), False),  # the day after: late (though 34 h before)
        (datetime(2026, 3, 12, 9, 0), False),  # appointment day
    ],
)
def test_dl73_termine_giorni_lavorativi(disdetta: datetime, tempestiva: bool) -> None:
    riga = pren(stato="disdetta_utente", data_disdetta=disdetta, importo_ticket_cent=3650,
                quota_ordinaria_cent=3650)
    attesi = ({("p1", "rimborso_ticket", 3650)} if tempestiva else {("p1", "malum", 3650)})
    assert records(DL73, riga) == attesi
    assert records(DL73, {**riga, "forza_maggiore": True}) == (
        {("p1", "rimborso_ticket", 3650)} if tempestiva else set()
    )


def test_dl73_pasquetta_sabato_e_patrono() -> None:
    dopo = date(2026, 4, 30)  # the reference date, after the appointment
    app = datetime(2026, 4, 8, 8, 0)  # Wednesday after Easter Monday: termine Friday 3 April
    venerdi = pren("p1", "disdetta_utente", data_appuntamento=app,
                   data_disdetta=datetime(2026, 4, 3, 18), importo_ticket_cent=100,
                   quota_ordinaria_cent=100)
    sabato = {**venerdi, "id_prenotazione": "p2", "data_disdetta": datetime(2026, 4, 4, 9)}
    assert records(DL73, venerdi, sabato, oggi=dopo) == {("p1", "rimborso_ticket", 100),
                                              ("p2", "malum", 100)}
    sabati = RegimeSanzioni(regime="dl73", sabato_lavorativo=True)
    assert records(sabati, venerdi, sabato, oggi=dopo) == {("p1", "rimborso_ticket", 100),
                                                ("p2", "rimborso_ticket", 100)}
    patrono = RegimeSanzioni(regime="dl73", patrono="04-07")  # Tuesday 7 April not working
    assert records(patrono, venerdi, oggi=dopo) == {("p1", "malum", 100)}  # termine now Thursday 2


def test_dl73_annullata_ente_senza_bonum() -> None:
    righe = [
        pren("p1", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=3650),
        pren("p2", "annullata_ente", esito_annullamento="riprogrammata",
             importo_ticket_cent=3650),
        pren("p3", "annullata_ente", importo_ticket_cent=3650),
        pren("p4", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=0),
        pren("p5", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=700,
             causale_annullamento=" Emergenza"),
    ]
    assert records(DL73, *righe) == {("p1", "rimborso_ticket", 3650),
                                     ("p5", "rimborso_ticket", 700)}


def test_dl73_forza_maggiore_non_presentato() -> None:
    riga = pren(stato="non_presentato", forza_maggiore=True, importo_ticket_cent=5000,
                quota_ordinaria_cent=2300)
    assert records(DL73, riga) == set()
    assert records(DL73, {**riga, "forza_maggiore": False}) == {
        ("p1", "malum", 2300), ("p1", "rimborso_differenza", 2700)
    }
    assert records(DL73, {**riga, "forza_maggiore": None}) == {
        ("p1", "malum", 2300), ("p1", "rimborso_differenza", 2700)
    }


# ---------------------------------------------------------------- riconcilia

SCHEMA_VIVE = {"id": pl.Int64, "id_prenotazione": pl.String, "tipo": pl.String,
               "importo_cent": pl.Int64, "motivo": pl.String}


def applica(vive: pl.DataFrame, emettere: pl.DataFrame, annullare: pl.DataFrame) -> pl.DataFrame:
    """What the caller does: annul the old records, issue the new ones with fresh ids."""
    restano = vive.filter(~pl.col("id").is_in(annullare["id"].implode()))
    primo = int(vive["id"].max() or 0) + 1  # type: ignore[arg-type]
    nuovi = emettere.with_row_index("id", offset=primo).select(
        pl.col("id").cast(pl.Int64), "id_prenotazione", "tipo", "importo_cent", "motivo"
    )
    return pl.concat([restano, nuovi])


def terne(df: pl.DataFrame) -> set[tuple[str, str, int]]:
    return set(df.select("id_prenotazione", "tipo", "importo_cent").iter_rows())


def test_riconcilia_idempotente() -> None:
    righe = [
        pren("p1", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=3650),
        pren("p2", "non_presentato", importo_ticket_cent=3000),
        pren("p3", "erogata"),
    ]
    dov = dovute(CARTA, *righe)
    vive = pl.DataFrame(schema=SCHEMA_VIVE)
    emettere, annullare = riconcilia(dov, vive)
    assert emettere.equals(dov)
    assert annullare.height == 0 and annullare.schema == pl.Schema({"id": pl.Int64})
    vive = applica(vive, emettere, annullare)
    emettere, annullare = riconcilia(dovute(CARTA, *righe), vive)
    assert (emettere.height, annullare.height) == (0, 0)
    assert emettere.columns == dov.columns


def test_riconcilia_correzione() -> None:
    righe = [
        pren("p1", "non_presentato", importo_ticket_cent=3000),
        pren("p2", "annullata_ente", esito_annullamento="rinuncia", importo_ticket_cent=3650),
    ]
    vive = applica(pl.DataFrame(schema=SCHEMA_VIVE), *riconcilia(dovute(CARTA, *righe),
                                                                  pl.DataFrame(schema=SCHEMA_VIVE)))
    id_di = {(r["id_prenotazione"], r["tipo"]): r["id"] for r in vive.iter_rows(named=True)}
    # the CUP corrects the ticket of p1 and says p2 was delivered after all
    corrette = [
        pren("p1", "non_presentato", importo_ticket_cent=4000),
        pren("p2", "erogata", importo_ticket_cent=3650),
    ]
    emettere, annullare = riconcilia(dovute(CARTA, *corrette), vive)
    assert terne(emettere) == {("p1", "rimborso_differenza", 1418)}
    assert set(annullare["id"]) == {
        id_di["p1", "rimborso_differenza"], id_di["p2", "bonum"], id_di["p2", "rimborso_ticket"]
    }
    vive = applica(vive, emettere, annullare)
    assert terne(vive) == {("p1", "malum", 2582), ("p1", "rimborso_differenza", 1418)}
    assert vive.filter(tipo="malum")["id"].item() == id_di["p1", "malum"]  # untouched
    assert [f.height for f in riconcilia(dovute(CARTA, *corrette), vive)] == [0, 0]


def test_riconcilia_solo_prenotazioni_controllate() -> None:
    vive = pl.DataFrame(
        [(1, "p1", "malum", 2582, "x"), (2, "p9", "bonum", 2582, "y"),
         (3, "p1", "malum", 2582, "doppione"), (4, "p2", "bonum", 2582, "z")],
        schema=SCHEMA_VIVE, orient="row",
    )
    dov = dovute(CARTA, pren("p1", "non_presentato"), pren("p2", "erogata"))
    emettere, annullare = riconcilia(dov, vive, pl.Series(["p1", "p2"]))
    assert emettere.height == 0
    assert annullare["id"].to_list() == [3, 4]  # p9 not checked in this run: left alone
    _, tutti = riconcilia(dov, vive)
    assert tutti["id"].to_list() == [2, 3, 4]
    # a due record of a booking outside the run is not issued either
    fuori, _ = riconcilia(dovute(CARTA, pren("p7", "non_presentato")), vive, pl.Series(["p1"]))
    assert fuori.height == 0


def test_riconcilia_motivo_riformulato_non_riemette() -> None:
    dov = dovute(CARTA, pren("p1", "non_presentato"))
    vive = pl.DataFrame([(10, "p1", "malum", 2582, "vecchia formulazione")],
                        schema=SCHEMA_VIVE, orient="row")
    assert [f.height for f in riconcilia(dov, vive)] == [0, 0]


# ---------------------------------------------------------------- property tests

STATI = ["prenotata", "erogata", "annullata_ente", "disdetta_utente", "non_presentato", "altro"]
SPECIALI = [0, 1, 2581, 2582, 2583, 2300, 3650]
PREAVVISI = [24, 48, 72]

importi = st.one_of(st.none(), st.sampled_from(SPECIALI), st.integers(0, 12_000))


def anticipi(preavviso_ore: int) -> st.SearchStrategy[timedelta]:
    """How long before the appointment the citizen cancelled: often right at the notice
    boundary (the regime's hours, give or take a minute), else anything in two weeks."""
    bordo = preavviso_ore * ORA
    return st.one_of(
        st.sampled_from([bordo - MINUTO, bordo, bordo + MINUTO, timedelta(0), -MINUTO]),
        st.timedeltas(timedelta(days=-2), timedelta(days=12)),
    )


@st.composite
def prenotazioni(draw: st.DrawFn, n: int, preavviso_ore: int) -> dict[str, Any]:
    appuntamento = draw(st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31)))
    senza_ora = draw(st.booleans())
    if senza_ora:  # a date-only appointment: the notice counts from 24:00 of its day
        appuntamento = appuntamento.replace(hour=0, minute=0, second=0, microsecond=0)
    riferimento = appuntamento + timedelta(days=1) if senza_ora else appuntamento
    anticipo = draw(st.one_of(st.none(), anticipi(preavviso_ore)))
    return pren(
        f"p{n}",
        draw(st.sampled_from(STATI)),
        data_appuntamento=appuntamento,
        data_disdetta=None if anticipo is None else riferimento - anticipo,
        esito_annullamento=draw(st.sampled_from([None, "rinuncia", "riprogrammata"])),
        causale_annullamento=draw(
            st.sampled_from([None, "emergenza", " Emergenza ", "guasto", "sciopero"])
        ),
        importo_ticket_cent=draw(importi),
        quota_ordinaria_cent=draw(importi),
        forza_maggiore=draw(st.sampled_from([None, True, False])),
        ritiro_referto_tracciato=draw(st.sampled_from([None, True, False])),
        data_ritiro_referto=draw(st.one_of(st.none(), st.integers(-2, 45).map(
            lambda g: appuntamento.date() + timedelta(days=g)))),
        tariffa_cent=draw(importi),
    )


regimi = st.builds(
    RegimeSanzioni,
    regime=st.sampled_from(["carta1995", "dl73"]),
    bonum_cent=st.sampled_from([0, 2582, 5000]),
    malum_cent=st.one_of(st.sampled_from([0, 2582]), st.integers(1, 6000)),
    preavviso_ore=st.sampled_from(PREAVVISI),
    causali_esenti=st.sampled_from(
        [frozenset({"emergenza"}), frozenset(), frozenset({"Guasto ", "emergenza"})]
    ),
    sabato_lavorativo=st.booleans(),
    patrono=st.sampled_from([None, "12-07", "04-24", "06-24"]),
    termine_ritiro_referto_giorni=st.sampled_from([0, 1, 30]),
)
date_riferimento = st.dates(date(2023, 12, 1), date(2028, 3, 1))


@st.composite
def lotti(draw: st.DrawFn, preavviso_ore: int = 48) -> list[dict[str, Any]]:
    quanti = draw(st.integers(0, 25))
    return [draw(prenotazioni(i, preavviso_ore)) for i in range(quanti)]


@settings(max_examples=150, deadline=None)
@given(regimi, date_riferimento, st.data())
def test_motore_uguale_all_oracolo(regime: RegimeSanzioni, oggi: date,
                                   data: st.DataObject) -> None:
    righe = data.draw(lotti(regime.preavviso_ore), label="righe")
    # the reference date often right at an appointment's day or a report's term
    vicine = [r["data_appuntamento"].date() + timedelta(days=g) for r in righe
              for g in (-1, 0, 1, regime.termine_ritiro_referto_giorni,
                        regime.termine_ritiro_referto_giorni + 1)]
    oggi = data.draw(st.sampled_from([oggi, *vicine]), label="oggi")
    df = sanzioni_dovute(frame(*righe).lazy(), regime, oggi).collect()
    motore = Counter((r[0], r[1], euro(r[2])) for r in
                     df.select("id_prenotazione", "tipo", "importo_cent").iter_rows())
    atteso = Counter(oracle.sanzioni_dovute(righe, regime, oggi))
    assert motore == atteso
    assert df["motivo"].null_count() == 0
    assert (df["importo_cent"] > 0).all()


@settings(max_examples=40, deadline=None)
@given(lotti(), lotti(), regimi, st.data())
def test_riconcilia_converge(
    prima: list[dict[str, Any]], dopo: list[dict[str, Any]], regime: RegimeSanzioni,
    data: st.DataObject,
) -> None:
    vuote = pl.DataFrame(schema=SCHEMA_VIVE)
    vive = applica(vuote, *riconcilia(dovute(regime, *prima), vuote))
    controllate = data.draw(st.sampled_from([None, [r["id_prenotazione"] for r in dopo]]))
    serie = None if controllate is None else pl.Series(controllate, dtype=pl.String)
    dov = dovute(regime, *dopo)
    vive = applica(vive, *riconcilia(dov, vive, serie))
    assert [f.height for f in riconcilia(dov, vive, serie)] == [0, 0]
    attese = terne(dov)
    if controllate is None:
        assert terne(vive) == attese
    else:
        dentro = vive.filter(pl.col("id_prenotazione").is_in(controllate))
        assert terne(dentro) == attese
        fuori = {(p, t, i) for p, t, i in terne(vive) if p not in set(controllate)}
        assert fuori == {t for t in terne(dovute(regime, *prima)) if t[0] not in set(controllate)}
