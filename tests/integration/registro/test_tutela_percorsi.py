# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""A segnalazione walked through every path of the Regolamento di Pubblica Tutela on both
databases: resolved at once, the full path, the riesame, a contested malum annulled, a
contested bonum confirmed; every term at its boundary, the monitoring list, the audit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from supporto.api import registro_api  # noqa: F401
from supporto.tutela import (
    CONTATTO,
    FRAMMENTI_CONTATTO,
    OGGI,
    audit,
    leggi,
    nuova,
    passi,
    passo,
    sanzione,
    sanzione_di,
)

from registro.db import session_scope, transazione
from registro.errors import Conflitto, ErroreUtente, NonTrovato
from registro.settings import Settings
from registro.stato_sanzioni import cambia_stato
from registro.tutela import regole, service
from reports.monitoring import COLONNE, NOMI, calcola_lista, scrivi_lista

RICEVUTA = date(2026, 3, 2)
SOLARI = regole.Termini()


def _scadenze(engine: Engine, numero: int, termini: regole.Termini = SOLARI,
              oggi: date = OGGI) -> dict[str, dict[str, object]]:
    with session_scope(engine) as session:
        d = service.dettaglio(session=session, id_segnalazione=numero, termini=termini,
                              oggi=oggi, con_contatto=False)
    return {x["termine"]: x for x in d["scadenze"]}


def test_resolved_at_once(registro_api: Engine) -> None:
    n = nuova(registro_api, canale="telefono", tipo="disfunzione",
              oggetto="Numero del CUP sempre occupato")
    assert leggi(registro_api, n).stato == "ricevuta"
    passo(registro_api, n, "risolta", RICEVUTA, esito="accolta",
          nota="Spiegato come prenotare online")
    s = leggi(registro_api, n)
    assert (s.stato, s.esito, s.risolta_il, s.trasmessa_il) == ("risolta", "accolta",
                                                                RICEVUTA, None)
    sc = _scadenze(registro_api, n)
    assert set(sc) == {"trasmissione", "risposta"}
    assert all(x["nei_termini"] is True and x["fatto_il"] == RICEVUTA for x in sc.values())
    assert [(p.passo, p.data, p.esito) for p in passi(registro_api, n)] == [
        ("ricevuta", RICEVUTA, None), ("risolta", RICEVUTA, "accolta")]
    with pytest.raises(Conflitto, match="si passa solo a: riesame"):
        passo(registro_api, n, "trasmessa", RICEVUTA)


def _percorso(engine: Engine, n: int, in_ritardo: str | None) -> dict[str, date]:
    """The full path, each step on its due date, or one day after for `in_ritardo`."""
    def piu(nome: str) -> int:
        return 1 if nome == in_ritardo else 0

    d = {"trasmessa": RICEVUTA + timedelta(days=3 + piu("trasmissione"))}
    d["servizi_informati"] = d["trasmessa"] + timedelta(days=3 + piu("informazione_servizi"))
    d["informazioni_ricevute"] = d["servizi_informati"] + timedelta(
        days=7 + piu("risposta_servizi"))
    d["risposta_inviata"] = RICEVUTA + timedelta(days=30 + piu("risposta"))
    for nome, giorno in d.items():
        passo(engine, n, nome, giorno,
              esito="parzialmente_accolta" if nome == "risposta_inviata" else None,
              nota="Visita anticipata" if nome == "risposta_inviata" else None)
    return d


@pytest.mark.parametrize("in_ritardo", [None, *regole.NOMI_TERMINI])
def test_full_path_each_term_at_its_boundary(registro_api: Engine,
                                             in_ritardo: str | None) -> None:
    n = nuova(registro_api, id_prenotazione="OLTRE")
    date_passi = _percorso(registro_api, n, in_ritardo)
    s = leggi(registro_api, n)
    assert (s.stato, s.esito, s.risposta_il) == ("risposta_inviata", "parzialmente_accolta",
                                                 date_passi["risposta_inviata"])
    assert s.servizio == "Medicina interna"   # the linked booking's branca (89.7)
    sc = _scadenze(registro_api, n)
    assert {k: v["nei_termini"] for k, v in sc.items()} == {
        t: t != in_ritardo for t in regole.NOMI_TERMINI}
    assert [p.passo for p in passi(registro_api, n)] == [
        "ricevuta", "trasmessa", "servizi_informati", "informazioni_ricevute",
        "risposta_inviata"]


def test_steps_out_of_sequence_and_bad_dates(registro_api: Engine) -> None:
    n = nuova(registro_api)
    for sbagliato in ("servizi_informati", "risposta_inviata", "riesame", "riesame_concluso"):
        with pytest.raises(Conflitto, match="si passa solo a: risolta, trasmessa"):
            passo(registro_api, n, sbagliato, RICEVUTA)
    with pytest.raises(ErroreUtente, match="non può precedere"):
        passo(registro_api, n, "trasmessa", RICEVUTA - timedelta(days=1))
    with pytest.raises(ErroreUtente, match="nel futuro"):
        passo(registro_api, n, "trasmessa", OGGI + timedelta(days=1))
    with pytest.raises(ErroreUtente, match="richiede l'esito"):
        passo(registro_api, n, "risolta", RICEVUTA)
    with pytest.raises(ErroreUtente, match="non ha esito"):
        passo(registro_api, n, "trasmessa", RICEVUTA, esito="accolta")
    with pytest.raises(NonTrovato):
        passo(registro_api, 999, "trasmessa", RICEVUTA)
    assert leggi(registro_api, n).stato == "ricevuta"   # nothing half-written
    assert [p.passo for p in passi(registro_api, n)] == ["ricevuta"]
    with pytest.raises(ErroreUtente, match="nel futuro"):
        nuova(registro_api, ricevuta_il=OGGI + timedelta(days=1))
    with pytest.raises(ErroreUtente, match="dopo aver presentato"):
        nuova(registro_api, data_conoscenza=RICEVUTA + timedelta(days=1))
    with pytest.raises(ErroreUtente, match="non presente"):
        nuova(registro_api, id_prenotazione="NON-ESISTE")


def test_riesame_by_the_difensore_civico(registro_api: Engine) -> None:
    n = nuova(registro_api)
    _percorso(registro_api, n, None)
    passo(registro_api, n, "riesame", date(2026, 4, 10),
          nota="Il cittadino non è soddisfatto della risposta")
    s = leggi(registro_api, n)
    assert (s.stato, s.riesame_il, regole.esito_finale(s.model_dump())) == (
        "riesame", date(2026, 4, 10), "parzialmente_accolta")
    with pytest.raises(ErroreUtente, match="richiede l'esito"):
        passo(registro_api, n, "riesame_concluso", date(2026, 5, 10))
    passo(registro_api, n, "riesame_concluso", date(2026, 5, 10), esito="accolta")
    s = leggi(registro_api, n)
    assert (s.stato, s.esito, s.esito_riesame) == ("riesame_concluso", "parzialmente_accolta",
                                                   "accolta")
    assert regole.esito_finale(s.model_dump()) == "accolta"
    with pytest.raises(Conflitto, match="stato finale"):
        passo(registro_api, n, "riesame", date(2026, 5, 11))
    # a report resolved at once can be reviewed too
    m = nuova(registro_api, tipo="disfunzione")
    passo(registro_api, m, "risolta", RICEVUTA, esito="respinta")
    passo(registro_api, m, "riesame", RICEVUTA + timedelta(days=2))
    assert leggi(registro_api, m).stato == "riesame"


def test_contested_malum_annulled(registro_api: Engine) -> None:
    malum = sanzione_di(registro_api, "NOSHOW", "malum")
    assert malum.stato == "emesso" and malum.id is not None
    n = nuova(registro_api, id_sanzione=malum.id,
              oggetto="Malum addebitato: avevo disdetto per telefono")
    s = leggi(registro_api, n)
    assert (s.id_prenotazione, s.contesta_sanzione) == ("NOSHOW", True)
    assert sanzione(registro_api, malum.id).stato == "contestato"
    for nome, giorno in (("trasmessa", 4), ("servizi_informati", 6),
                         ("informazioni_ricevute", 12)):
        passo(registro_api, n, nome, date(2026, 3, giorno))
    assert sanzione(registro_api, malum.id).stato == "contestato"
    # a contested sanction is annulled or confirmed, never "in part"
    with pytest.raises(ErroreUtente, match="o respinta"):
        passo(registro_api, n, "risposta_inviata", date(2026, 3, 30),
              esito="parzialmente_accolta")
    assert leggi(registro_api, n).stato == "informazioni_ricevute"
    passo(registro_api, n, "risposta_inviata", date(2026, 3, 30), esito="accolta",
          nota="La disdetta risulta registrata dal CUP")
    dopo = sanzione(registro_api, malum.id)
    assert dopo.stato == "annullato"
    assert dopo.motivo_annullamento and f"segnalazione n. {n}" in dopo.motivo_annullamento
    assert leggi(registro_api, n).contesta_sanzione is False
    assert [p.sanzione_stato for p in passi(registro_api, n)] == [
        "contestato", None, None, None, "annullato"]
    # the sanction's own audit trail shows both moves, by the UPT
    righe = [a for a in audit(registro_api) if a.risorsa == "sanzione"]
    assert [json.loads(a.dopo or "{}")["stato"] for a in righe] == ["contestato", "annullato"]
    assert {a.ruolo for a in righe} == {"upt"}


def test_contested_malum_partial_outcome_refused(registro_api: Engine) -> None:
    malum = sanzione_di(registro_api, "NOSHOW", "malum")
    assert malum.id is not None
    n = nuova(registro_api, id_sanzione=malum.id)
    with pytest.raises(ErroreUtente, match=r"accolta \(sanzione annullata\) o respinta"):
        passo(registro_api, n, "risolta", RICEVUTA, esito="parzialmente_accolta")
    assert sanzione(registro_api, malum.id).stato == "contestato"


def test_contested_bonum_confirmed_then_reviewed(registro_api: Engine) -> None:
    bonum = sanzione_di(registro_api, "RIN", "bonum")
    assert bonum.id is not None
    n = nuova(registro_api, id_sanzione=bonum.id, canale="colloquio",
              oggetto="Contesta l'importo del bonum")
    assert sanzione(registro_api, bonum.id).stato == "contestato"
    passo(registro_api, n, "risolta", RICEVUTA, esito="respinta")
    confermato = sanzione(registro_api, bonum.id)
    assert (confermato.stato, confermato.annullata_il) == ("emesso", None)
    # the citizen asks for a riesame: the sanction is suspended again until its outcome
    passo(registro_api, n, "riesame", RICEVUTA + timedelta(days=10))
    assert sanzione(registro_api, bonum.id).stato == "contestato"
    passo(registro_api, n, "riesame_concluso", RICEVUTA + timedelta(days=40), esito="respinta")
    assert sanzione(registro_api, bonum.id).stato == "emesso"
    assert [p.sanzione_stato for p in passi(registro_api, n)] == [
        "contestato", "emesso", "contestato", "emesso"]


def test_a_paid_sanction_is_not_suspended_but_the_complaint_is_recorded(
        registro_api: Engine) -> None:
    malum = sanzione_di(registro_api, "NOSHOW", "malum")
    assert malum.id is not None
    with transazione(registro_api) as session:
        for stato in ("notificato", "pagato"):
            cambia_stato(session=session, id_sanzione=malum.id, stato=stato,
                                     motivo=None)
    n = nuova(registro_api, id_sanzione=malum.id)
    assert leggi(registro_api, n).contesta_sanzione is False
    passo(registro_api, n, "risolta", RICEVUTA, esito="accolta")
    assert sanzione(registro_api, malum.id).stato == "pagato"


def test_a_sanction_link_is_a_reclamo_of_that_booking(registro_api: Engine) -> None:
    malum = sanzione_di(registro_api, "NOSHOW", "malum")
    with pytest.raises(ErroreUtente, match="il tipo è reclamo"):
        nuova(registro_api, id_sanzione=malum.id, tipo="suggerimento")
    with pytest.raises(ErroreUtente, match="riguarda la prenotazione 'NOSHOW'"):
        nuova(registro_api, id_sanzione=malum.id, id_prenotazione="OK")
    with pytest.raises(ErroreUtente, match="non presente"):
        nuova(registro_api, id_sanzione=99999)
    assert sanzione(registro_api, malum.id or 0).stato == "emesso"


def test_late_report_flagged_never_refused(registro_api: Engine) -> None:
    puntuale = nuova(registro_api, data_conoscenza=RICEVUTA - timedelta(days=15))
    tardiva = nuova(registro_api, data_conoscenza=RICEVUTA - timedelta(days=16))
    for n, atteso in ((puntuale, False), (tardiva, True)):
        with session_scope(registro_api) as session:
            s = service.leggi(session=session, id_segnalazione=n)
            assert service.pubblica(s, termini=SOLARI, oggi=OGGI)["tardiva"] is atteso


def test_working_days_from_the_settings(registro_api: Engine, settings: Settings) -> None:
    # received Thursday 24 December 2026 (then Christmas, Santo Stefano, Sunday)
    oggi = date(2027, 3, 1)
    n = nuova(registro_api, ricevuta_il=date(2026, 12, 24), oggi=oggi)
    lavorativi = regole.Termini.da_impostazioni(
        settings.model_copy(update={"tutela_calendario": "lavorativi"}))
    assert _scadenze(registro_api, n, lavorativi, oggi)["trasmissione"]["scade_il"] == date(
        2026, 12, 30)
    assert _scadenze(registro_api, n, SOLARI, oggi)["trasmissione"]["scade_il"] == date(
        2026, 12, 27)
    passo(registro_api, n, "trasmessa", date(2026, 12, 30), oggi=oggi)
    assert _scadenze(registro_api, n, lavorativi, oggi)["trasmissione"]["nei_termini"] is True
    assert _scadenze(registro_api, n, SOLARI, oggi)["trasmissione"]["nei_termini"] is False


def test_overdue_terms_on_the_direttore_s_list(registro_api: Engine, settings: Settings,
                                               tmp_path: Path) -> None:
    n = nuova(registro_api, id_prenotazione="OLTRE")
    passo(registro_api, n, "trasmessa", date(2026, 3, 4))
    passo(registro_api, n, "servizi_informati", date(2026, 3, 6))
    scade = date(2026, 3, 13)   # 7 days for the services' information

    def tutela(oggi: date) -> list[dict[str, object]]:
        lista = calcola_lista(engine=registro_api, settings=settings, oggi=oggi)
        return lista.filter(lista["lista"] == "tutela_in_ritardo").to_dicts()

    assert tutela(scade) == []
    righe = tutela(scade + timedelta(days=1))
    assert righe == [{"lista": "tutela_in_ritardo", "registro": "tutela", "id": str(n),
                      "codice_reparto_o_prestazione": "Medicina interna",
                      "codice_sede_o_patologia": "risposta_servizi", "classe_priorita": None,
                      "giorni": 8, "soglia": 7, "dal": scade + timedelta(days=1),
                      "motivato": False, "termine": "risposta_servizi",
                      "servizio": "Medicina interna", "descrizione_prestazione": None,
                      "nome_sede_o_reparto": None}]
    # the same honest columns in the CSV and the JSON, the old ones kept where they were
    lista = calcola_lista(engine=registro_api, settings=settings, oggi=scade + timedelta(days=1))
    csv_righe = scrivi_lista(lista, tmp_path / "m.csv", "csv").read_text("utf-8").splitlines()
    intestazione = csv_righe[0].split(",")
    assert intestazione == [*COLONNE, *NOMI] and COLONNE[-2:] == ["termine", "servizio"]
    riga_csv = dict(zip(intestazione, next(r for r in csv_righe if "tutela_in_ritardo" in r)
                        .split(","), strict=True))
    assert (riga_csv["codice_reparto_o_prestazione"], riga_csv["codice_sede_o_patologia"],
            riga_csv["termine"], riga_csv["servizio"]) == (
        "Medicina interna", "risposta_servizi", "risposta_servizi", "Medicina interna")
    riga_json = next(r for r in json.loads(scrivi_lista(lista, tmp_path / "m.json", "json")
                                           .read_text("utf-8"))
                     if r["lista"] == "tutela_in_ritardo")
    assert (riga_json["termine"], riga_json["servizio"]) == ("risposta_servizi",
                                                             "Medicina interna")
    assert {r["termine"] for r in lista.filter(lista["lista"] != "tutela_in_ritardo")
            .to_dicts()} <= {None}
    # 1 April: the reply term (30 days from 2 March) is overdue too; the later one sorts after
    righe = tutela(date(2026, 4, 2))
    assert [(r["termine"], r["giorni"], r["soglia"]) for r in righe] == [
        ("risposta_servizi", 27, 7), ("risposta", 31, 30)]
    assert all(r["codice_sede_o_patologia"] == r["termine"]
               and r["codice_reparto_o_prestazione"] == r["servizio"] for r in righe)
    # as of a day, a step recorded later is not done yet; once done the row goes
    passo(registro_api, n, "informazioni_ricevute", date(2026, 4, 3))
    assert [r["codice_sede_o_patologia"] for r in tutela(date(2026, 4, 2))] == [
        "risposta_servizi", "risposta"]
    assert [r["codice_sede_o_patologia"] for r in tutela(date(2026, 4, 3))] == ["risposta"]
    # and in working days the same term falls due later
    lav = settings.model_copy(update={"tutela_calendario": "lavorativi"})
    lista = calcola_lista(engine=registro_api, settings=lav, oggi=date(2026, 3, 16))
    assert lista.filter(lista["lista"] == "tutela_in_ritardo").height == 0


def test_every_change_is_audited_without_the_contact(registro_api: Engine) -> None:
    prima = len(audit(registro_api))
    n = nuova(registro_api)
    _percorso(registro_api, n, None)
    passo(registro_api, n, "riesame", date(2026, 4, 5))
    righe = [a for a in audit(registro_api)[prima:] if a.risorsa == "segnalazione"]
    assert len(righe) == 1 + 4 + 1
    assert all(a.riferimento == str(n) and (a.utente, a.ruolo) == ("operatore-upt", "upt")
               for a in righe)
    assert righe[0].prima is None
    assert json.loads(righe[0].dopo or "{}")["contatto"] == "registrato a parte"
    stati = [(json.loads(a.prima)["stato"] if a.prima else None, json.loads(a.dopo or "")["stato"])
             for a in righe]
    assert stati == [(None, "ricevuta"), ("ricevuta", "trasmessa"),
                     ("trasmessa", "servizi_informati"),
                     ("servizi_informati", "informazioni_ricevute"),
                     ("informazioni_ricevute", "risposta_inviata"),
                     ("risposta_inviata", "riesame")]
    testo = " ".join(f"{a.prima} {a.dopo}" for a in audit(registro_api))
    assert not [f for f in FRAMMENTI_CONTATTO if f in testo]
    # the contact is there, apart, for the UPT
    with session_scope(registro_api) as session:
        assert service.contatto(session=session, id_segnalazione=n) == CONTATTO


def test_commissione_mista_conciliativa_beside_the_riesame(registro_api: Engine) -> None:
    """Art. 7 d, Art. 8: after the answer the case may go to the Commissione instead of the
    riesame; a contested sanction is held again, and the Commissione's outcome moves it."""
    bonum = sanzione_di(registro_api, "RIN", "bonum")
    assert bonum.id is not None
    n = nuova(registro_api, id_sanzione=bonum.id, presentata_da="associazione",
              oggetto="Violazione della Carta dei diritti del malato")
    passo(registro_api, n, "risolta", RICEVUTA, esito="respinta")
    assert sanzione(registro_api, bonum.id).stato == "emesso"
    passo(registro_api, n, "commissione", RICEVUTA + timedelta(days=5))
    assert sanzione(registro_api, bonum.id).stato == "contestato"
    with pytest.raises(Conflitto, match="si passa solo a: commissione_conclusa"):
        passo(registro_api, n, "riesame", RICEVUTA + timedelta(days=6))
    with pytest.raises(ErroreUtente, match="richiede l'esito"):
        passo(registro_api, n, "commissione_conclusa", RICEVUTA + timedelta(days=30))
    passo(registro_api, n, "commissione_conclusa", RICEVUTA + timedelta(days=30),
          esito="accolta")
    s = leggi(registro_api, n)
    assert (s.stato, s.presentata_da, s.esito, s.esito_commissione, s.commissione_il) == (
        "commissione_conclusa", "associazione", "respinta", "accolta",
        RICEVUTA + timedelta(days=5))
    assert regole.esito_finale(s.model_dump()) == "accolta"
    assert sanzione(registro_api, bonum.id).stato == "annullato"
    assert [p.sanzione_stato for p in passi(registro_api, n)] == [
        "contestato", "emesso", "contestato", "annullato"]
    with pytest.raises(Conflitto, match="stato finale"):
        passo(registro_api, n, "riesame", RICEVUTA + timedelta(days=31))


def test_who_filed_it_is_checked(registro_api: Engine) -> None:
    assert leggi(registro_api, nuova(registro_api)).presentata_da == "utente"
    assert leggi(registro_api, nuova(registro_api, presentata_da="d_ufficio")
                 ).presentata_da == "d_ufficio"
    with pytest.raises(ErroreUtente, match="presentata_da sconosciuto"):
        nuova(registro_api, presentata_da="avvocato")


@pytest.mark.parametrize(("urgente", "in_ritardo_dal"), [(True, 2), (False, 4)])
def test_urgent_report_overdue_after_its_shorter_term(registro_api: Engine, settings: Settings,
                                                      urgente: bool, in_ritardo_dal: int
                                                      ) -> None:
    """Art. 4 "nei tempi rapportati all'urgenza del caso": an urgent report not transmitted
    is on the Direttore's list the day after `termine_trasmissione_urgente_giorni` (1)."""
    n = nuova(registro_api, urgente=urgente)

    def trasmissione(giorni: int) -> list[tuple[str, int | None]]:
        lista = calcola_lista(engine=registro_api, settings=settings,
                              oggi=RICEVUTA + timedelta(days=giorni))
        return [(r["codice_sede_o_patologia"], r["soglia"]) for r in lista.to_dicts()
                if r["lista"] == "tutela_in_ritardo" and r["id"] == str(n)]

    assert trasmissione(in_ritardo_dal - 1) == []
    assert trasmissione(in_ritardo_dal) == [("trasmissione", 1 if urgente else 3)]
