"""`registro check` on both databases: derived fields, sanctions, idempotence, corrections."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import riga, scrivi_export
from sqlalchemy import Engine
from sqlmodel import select

from cup.ingest import ingest
from registro.catalogo import catalogo_nazionale, importa_catalogo
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
