"""`registro check` on both databases: derived fields, sanctions, idempotence, corrections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.schema import CANONICHE
from registro.check import check
from registro.db import session_scope
from registro.models import Prenotazione, Sanzione
from registro.money import euro
from registro.settings import Settings


@pytest.fixture
def registro(engine: Engine) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    return engine


def _sanzioni(engine: Engine) -> list[Sanzione]:
    with session_scope(engine) as s:
        return list(s.exec(select(Sanzione).order_by(Sanzione.id)).all())


def _vive(engine: Engine) -> dict[tuple[str, str], Decimal]:
    return {(x.id_prenotazione, x.tipo): euro(x.importo_cent) for x in _sanzioni(engine)
            if x.stato != "annullato"}


def _carica(engine: Engine, settings: Settings, path: Path, righe: list[dict[str, str]]) -> None:
    ingest(scrivi_export(path, righe), engine=engine, settings=settings)


def test_derived_fields(registro: Engine, settings: Settings, tmp_path: Path) -> None:
    _carica(registro, settings, tmp_path / "a.csv", [
        # visita: 7 days; booked 2 Mar 23:00, appointment 9 Mar 01:00 = 7 calendar days.
        riga("AT", data_prenotazione="2026-03-02T23:00", data_appuntamento="2026-03-09T01:00"),
        riga("OLTRE", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-10T09:00"),
        riga("URG", classe_priorita="U", data_appuntamento="2026-03-20T09:00"),
        riga("CTRL", tipo_accesso="controllo", data_appuntamento="2026-04-20T09:00"),
        riga("LAB", codice_prestazione="90.62.2", data_prenotazione="2026-03-02T10:00",
             data_appuntamento="2026-03-02T11:00", data_prescrizione="2026-02-20"),
    ])
    esito = check(engine=registro, settings=settings)
    assert (esito.prenotazioni, esito.in_garanzia, esito.superamenti) == (5, 3, 1)
    with session_scope(registro) as s:
        p = {x.id_prenotazione: x for x in s.exec(select(Prenotazione)).all()}
    assert (p["AT"].attesa_giorni, p["AT"].standard_giorni, p["AT"].superamento) == (7, 7, False)
    assert (p["OLTRE"].attesa_giorni, p["OLTRE"].superamento) == (8, True)
    assert (p["URG"].in_garanzia, p["URG"].standard_giorni) == (False, None)
    assert p["CTRL"].in_garanzia is False
    assert (p["LAB"].attesa_giorni, p["LAB"].attesa_da_prescrizione) == (0, 10)
    assert p["LAB"].standard_giorni == 2
    assert p["AT"].profilo == "carta1995" and p["AT"].verificata_il is not None


def test_sanctions_issued_once_and_corrected(registro: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    _carica(registro, settings, tmp_path / "a.csv", [
        riga("RIN", stato="annullata_ente", esito_annullamento="rinuncia",
             causale_annullamento="guasto apparecchiatura", aggiornato_il="2026-03-05T10:00"),
        riga("RIP", stato="annullata_ente", esito_annullamento="riprogrammata",
             causale_annullamento="assenza medico"),
        riga("EMER", stato="annullata_ente", esito_annullamento="rinuncia",
             causale_annullamento="Emergenza"),
        riga("NOSHOW", stato="non_presentato", importo_ticket="0",
             aggiornato_il="2026-03-06T10:00"),
        riga("NOSHOW2", stato="non_presentato", importo_ticket="36.15"),
        riga("DISD", stato="disdetta_utente", data_disdetta="2026-03-04T09:30"),
        riga("TARDI", stato="disdetta_utente", data_disdetta="2026-03-04T09:31"),
    ])
    first = check(engine=registro, settings=settings)
    attese = {
        ("RIN", "bonum"): Decimal("25.82"), ("RIN", "rimborso_ticket"): Decimal("36.15"),
        ("RIP", "bonum"): Decimal("25.82"),
        # An emergency gives no bonum, but the renouncing citizen still gets the ticket back.
        ("EMER", "rimborso_ticket"): Decimal("36.15"),
        ("NOSHOW", "malum"): Decimal("25.82"),
        ("NOSHOW2", "malum"): Decimal("25.82"),
        ("NOSHOW2", "rimborso_differenza"): Decimal("10.33"),
        ("DISD", "rimborso_ticket"): Decimal("36.15"),
        # 47:59 before the appointment: a late cancellation is a no-show (Carta §5.3, §5.6)
        ("TARDI", "malum"): Decimal("25.82"),
        ("TARDI", "rimborso_differenza"): Decimal("10.33"),
    }
    assert _vive(registro) == attese
    assert first.sanzioni_emesse == len(attese)
    with session_scope(registro) as s:
        assert s.get(Prenotazione, "RIP").preferenziale is True  # type: ignore[union-attr]

    again = check(engine=registro, settings=settings)
    assert (again.sanzioni_emesse, again.sanzioni_annullate) == (0, 0)
    assert len(_sanzioni(registro)) == len(attese)

    # The CUP corrects two bookings: the no-show did turn up; the ticket was different.
    _carica(registro, settings, tmp_path / "b.csv", [
        riga("NOSHOW", stato="erogata", importo_ticket="0", aggiornato_il="2026-03-08T10:00"),
        riga("RIN", stato="annullata_ente", esito_annullamento="rinuncia",
             causale_annullamento="guasto apparecchiatura", importo_ticket="20.00",
             aggiornato_il="2026-03-08T10:00"),
    ])
    fixed = check(engine=registro, settings=settings)
    assert (fixed.sanzioni_emesse, fixed.sanzioni_annullate) == (1, 2)
    vive = _vive(registro)
    assert ("NOSHOW", "malum") not in vive
    assert vive[("RIN", "rimborso_ticket")] == Decimal("20.00")
    annullate = [x for x in _sanzioni(registro) if x.stato == "annullato"]
    assert {(x.id_prenotazione, x.tipo) for x in annullate} == {
        ("NOSHOW", "malum"), ("RIN", "rimborso_ticket")}
    assert all(x.annullata_il and x.motivo_annullamento for x in annullate)


def test_dl73_regime(registro: Engine, settings: Settings, tmp_path: Path) -> None:
    dl73 = settings.model_copy(update={"regime_sanzioni": "dl73"})
    _carica(registro, dl73, tmp_path / "a.csv", [
        # Appointment Thursday 5 Mar 2026: timely until Tuesday 3 Mar.
        riga("ESENTE", stato="non_presentato", importo_ticket="0", quota_ordinaria="23.00",
             data_appuntamento="2026-03-05T09:00"),
        riga("MARTEDI", stato="disdetta_utente", data_disdetta="2026-03-03T18:00",
             data_appuntamento="2026-03-05T09:00"),
        riga("MERCOLEDI", stato="disdetta_utente", data_disdetta="2026-03-04T08:00",
             data_appuntamento="2026-03-05T09:00", importo_ticket="0", quota_ordinaria="23.00"),
        riga("GIUSTIF", stato="non_presentato", forza_maggiore="1",
             data_appuntamento="2026-03-05T09:00"),
        riga("LUNGA", data_appuntamento="2026-03-20T09:00"),
    ])
    check(engine=registro, settings=dl73)
    assert _vive(registro) == {
        ("ESENTE", "malum"): Decimal("23.00"),
        ("MARTEDI", "rimborso_ticket"): Decimal("36.15"),
        ("MERCOLEDI", "malum"): Decimal("23.00"),
    }
    with session_scope(registro) as s:
        assert s.get(Prenotazione, "LUNGA").percorso_tutela is True  # type: ignore[union-attr]


def test_a_sanction_annulled_by_a_person_is_not_reissued(registro: Engine, settings: Settings,
                                                         tmp_path: Path) -> None:
    _carica(registro, settings, tmp_path / "a.csv", [riga("NS", stato="non_presentato")])
    check(engine=registro, settings=settings)
    with session_scope(registro) as s:
        malum = s.exec(select(Sanzione).where(Sanzione.tipo == "malum")).one()
        malum.stato, malum.motivo_annullamento = "annullato", "contestazione accolta dall'UPT"
        s.commit()
    again = check(engine=registro, settings=settings)
    assert (again.sanzioni_emesse, again.sanzioni_annullate) == (0, 0)
    assert _vive(registro) == {("NS", "rimborso_differenza"): Decimal("10.33")}


def test_reference_date_is_not_the_issue_date(registro: Engine, settings: Settings,
                                              tmp_path: Path) -> None:
    """`--al D` says what has happened by D; the records are issued, and dated, today."""
    _carica(registro, settings, tmp_path / "a.csv", [
        riga("NS", stato="non_presentato"),  # appointment 6 March 2026
        riga("TARDI", stato="disdetta_utente", data_disdetta="2026-03-06T08:00"),
        riga("APERTA", stato="prenotata"),
        riga("FUTURA", stato="prenotata", data_appuntamento="2026-03-20T09:00"),
    ])
    prima = check(engine=registro, settings=settings, oggi=date(2026, 3, 5))
    assert (prima.sanzioni_emesse, prima.stato_non_aggiornato) == (0, 0)
    assert _vive(registro) == {}
    stesso_giorno = check(engine=registro, settings=settings, oggi=date(2026, 3, 6))
    assert stesso_giorno.stato_non_aggiornato == 0  # its day is not over
    assert set(_vive(registro)) == {("NS", "malum"), ("NS", "rimborso_differenza"),
                                    ("TARDI", "malum"), ("TARDI", "rimborso_differenza")}
    dopo = check(engine=registro, settings=settings, oggi=date(2026, 3, 10))
    assert (dopo.sanzioni_emesse, dopo.stato_non_aggiornato) == (0, 1)
    assert dopo.as_dict()["stato_non_aggiornato"] == 1
    assert {x.data_emissione for x in _sanzioni(registro)} == {date.today()}
    assert not any(x.id_prenotazione == "APERTA" for x in _sanzioni(registro))


def test_reports_not_collected_only_when_the_export_tracks_them(
        registro: Engine, settings: Settings, tmp_path: Path) -> None:
    """Visita 89.7, tariff 20.66: an exempt citizen owes all of it, a paying one nothing
    more (the ticket 36.15 exceeds it); a file without the column issues nothing."""
    lab = {"codice_prestazione": "87.37.1"}  # mammografia, tariff 44.93
    ingest(scrivi_export(tmp_path / "con.csv", [
        riga("INTEMPO", **lab, data_ritiro_referto="2026-04-05"),  # the term's last day
        riga("TARDI", **lab, data_ritiro_referto="2026-04-06", importo_ticket="0"),
        riga("MAI", **lab, importo_ticket="36.15"),
        riga("ESENTE", importo_ticket="0"),
        riga("PAGANTE"),
    ], colonne=CANONICHE), engine=registro, settings=settings)
    ingest(scrivi_export(tmp_path / "senza.csv", [riga("NONTRACCIATO", importo_ticket="0")]),
           engine=registro, settings=settings)
    with session_scope(registro) as s:
        p = {x.id_prenotazione: x for x in s.exec(select(Prenotazione)).all()}
    assert p["MAI"].ritiro_referto_tracciato and not p["NONTRACCIATO"].ritiro_referto_tracciato
    assert p["INTEMPO"].data_ritiro_referto == date(2026, 4, 5)

    check(engine=registro, settings=settings, oggi=date(2026, 4, 5))  # term not over yet
    assert _vive(registro) == {("TARDI", "referto_non_ritirato"): Decimal("44.93")}
    check(engine=registro, settings=settings, oggi=date(2026, 4, 6))
    assert _vive(registro) == {
        ("TARDI", "referto_non_ritirato"): Decimal("44.93"),
        ("MAI", "referto_non_ritirato"): Decimal("8.78"),
        ("ESENTE", "referto_non_ritirato"): Decimal("20.66"),
    }
    motivo = next(x.motivo for x in _sanzioni(registro) if x.id_prenotazione == "MAI")
    assert "§5.6" in motivo and "L. 412/1991" in motivo
    dl73 = settings.model_copy(update={"regime_sanzioni": "dl73"})
    assert check(engine=registro, settings=dl73, oggi=date(2026, 4, 6)).sanzioni_emesse == 0
    assert len(_vive(registro)) == 3


def test_periodic_laboratory_tests_outside_the_guarantee(registro: Engine, settings: Settings,
                                                         tmp_path: Path) -> None:
    catalogo = tmp_path / "catalogo.csv"
    catalogo.write_text("codice,descrizione,tipo,branca,tariffa,periodica\n"
                        "90.28.1,Emoglobina glicata (HbA1c),laboratorio,Laboratorio,9.66,1\n",
                        encoding="utf-8")
    importa_catalogo(catalogo, engine=registro)
    _carica(registro, settings, tmp_path / "a.csv", [
        riga("PERIODICO", codice_prestazione="90.28.1"),  # 4 days: beyond 48 hours
        riga("ORDINARIO", codice_prestazione="90.27.1"),
    ])
    esito = check(engine=registro, settings=settings)
    assert (esito.in_garanzia, esito.superamenti) == (1, 1)
    with session_scope(registro) as s:
        periodico = s.get(Prenotazione, "PERIODICO")
        assert periodico is not None
        assert (periodico.in_garanzia, periodico.superamento) == (False, False)
    locali = tmp_path / "locali.toml"
    locali.write_text('[[specialistica]]\ncodice_prestazione = "90.28.1"\ngiorni = 7\n',
                      encoding="utf-8")
    con_target = settings.model_copy(update={"standard_locali": locali})
    assert check(engine=registro, settings=con_target).in_garanzia == 2


def test_catalog_periodica_column(registro: Engine, tmp_path: Path) -> None:
    """`periodica` optional, 1/0/empty; only laboratory tests; a bad value refuses the file."""
    from registro.errors import ErroreUtente
    from registro.models import Prestazione

    buono = tmp_path / "buono.csv"
    buono.write_text("codice,descrizione,tipo,branca,tariffa,periodica\n"
                     "90.28.1,HbA1c,laboratorio,Lab,9.66,1\n90.27.1,Glucosio,laboratorio,Lab,"
                     "1.17,\n90.16.3,Creatinina,laboratorio,Lab,1.13,0\n", encoding="utf-8")
    importa_catalogo(buono, engine=registro)
    with session_scope(registro) as s:
        periodiche = {p.codice: p.periodica for p in s.exec(select(Prestazione)).all()
                      if p.codice in ("90.28.1", "90.27.1", "90.16.3", "89.7")}
    assert periodiche == {"90.28.1": True, "90.27.1": False, "90.16.3": False, "89.7": False}
    for riga_csv, motivo in (("89.7,Visita,visita,Med,20.66,1", "solo per gli esami"),
                             ("90.28.1,HbA1c,laboratorio,Lab,9.66,si", "periodica non valida")):
        cattivo = tmp_path / "cattivo.csv"
        cattivo.write_text("codice,descrizione,tipo,branca,tariffa,periodica\n" + riga_csv
                           + "\n", encoding="utf-8")
        with pytest.raises(ErroreUtente, match=motivo):
            importa_catalogo(cattivo, engine=registro)


def test_chronological_order_of_the_specialist_lists(registro: Engine, settings: Settings,
                                                     tmp_path: Path) -> None:
    """Carta §5.1: the overtakes are counted over the whole agenda even when the check cuts
    the register into passes that separate the bookings of one agenda."""
    _carica(registro, settings, tmp_path / "a.csv", [
        riga("A1", data_prenotazione="2026-03-02T09:00", data_appuntamento="2026-03-20T09:00"),
        riga("A2", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-19T09:00"),
        riga("Z9", data_prenotazione="2026-03-03T09:00", data_appuntamento="2026-03-06T09:00"),
        # same day as A2: not out of order; controllo: out of guarantee, never counted
        riga("M5", data_prenotazione="2026-03-03T10:00", data_appuntamento="2026-03-19T17:00"),
        riga("CT", tipo_accesso="controllo", data_prenotazione="2026-03-04T09:00",
             data_appuntamento="2026-03-05T09:00"),
    ])
    stretto = settings.model_copy(update={"check_righe_per_passo": 1})
    esito = check(engine=registro, settings=stretto, oggi=date(2026, 3, 1))
    with session_scope(registro) as s:
        p = {x.id_prenotazione: x.fuori_ordine for x in s.exec(select(Prenotazione)).all()}
    assert p == {"A1": 0, "A2": 1, "Z9": 2, "M5": 1, "CT": None}
    assert esito.prenotazioni_fuori_ordine == 3


def test_a_booking_out_of_order_until_motivated(registro: Engine, settings: Settings,
                                                tmp_path: Path) -> None:
    """The Direttore Sanitario's list shows a booking that overtook others
    (`fuori_ordine_senza_motivazione`, registro prestazioni, giorni = the number overtaken)
    until a motivazione `fuori_ordine` is recorded for it (`registro motiva --prenotazione
    ID --oggetto fuori_ordine`)."""
    from registro.motivazioni import registra
    from reports.monitoring import calcola_lista

    _carica(registro, settings, tmp_path / "a.csv", [
        riga("A1", data_prenotazione="2026-03-02T09:00", data_appuntamento="2026-03-09T09:00"),
        riga("A2", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-08T09:00"),
        riga("Z9", data_prenotazione="2026-03-03T09:00", data_appuntamento="2026-03-06T09:00"),
    ])
    check(engine=registro, settings=settings, oggi=date(2026, 3, 4))

    def voci() -> list[tuple[str, str, int]]:
        lista = calcola_lista(engine=registro, settings=settings, oggi=date(2026, 3, 4))
        return [(r["registro"], r["id"], r["giorni"]) for r in lista.iter_rows(named=True)
                if r["lista"] == "fuori_ordine_senza_motivazione"]

    assert voci() == [("prestazioni", "Z9", 2), ("prestazioni", "A2", 1)]
    with session_scope(registro) as s:
        m = registra(session=s, registro="prestazioni", riferimento="Z9",
                     testo="sospetto clinico grave segnalato dal medico", autore="DS",
                     oggetto="fuori_ordine")
        assert m.oggetto == "fuori_ordine"
    assert voci() == [("prestazioni", "A2", 1)]
