"""registro.tutela.regole: every term of the Regolamento di Pubblica Tutela pinned at its
boundary (due date on time, the day after late), in calendar and in working days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from registro.festivi import lavorativo
from registro.tutela import regole
from registro.tutela.regole import Termini

SOLARI = Termini()
LAVORATIVI = Termini(calendario="lavorativi")

# Thursday 24 December 2026: Christmas (Fri) and Santo Stefano (Sat) and a Sunday follow.
VIGILIA = date(2026, 12, 24)


def segnalazione(**date_passi: date | None) -> dict[str, Any]:
    base: dict[str, Any] = {c: None for c in regole.COLONNA_DATA.values()}
    base.update(ricevuta_il=VIGILIA, data_conoscenza=None, esito=None, esito_riesame=None)
    base.update(date_passi)
    base["stato"] = regole.stato_da_date(base)
    return base


def scadenza(s: dict[str, Any], termini: Termini, nome: str) -> regole.Scadenza:
    return next(x for x in regole.scadenze(s, termini) if x.termine == nome)


def test_defaults_are_the_regolamento_s() -> None:
    assert (SOLARI.trasmissione, SOLARI.informazione_servizi, SOLARI.risposta_servizi,
            SOLARI.risposta, SOLARI.ritardo_segnalazione) == (3, 3, 7, 30, 15)
    assert [t.nome for t in regole.TERMINI] == ["trasmissione", "informazione_servizi",
                                                "risposta_servizi", "risposta"]


@pytest.mark.parametrize(("termini", "giorni", "attesa"), [
    (SOLARI, 3, date(2026, 12, 27)),
    (LAVORATIVI, 3, date(2026, 12, 30)),      # 25, 26 holidays, 27 Sunday: Mon-Tue-Wed
    (SOLARI, 7, date(2026, 12, 31)),
    (LAVORATIVI, 7, date(2027, 1, 7)),        # 1 Jan, 6 Jan holidays; weekend 2-3 Jan
    (SOLARI, 30, date(2027, 1, 23)),
    (LAVORATIVI, 30, date(2027, 2, 9)),
    (SOLARI, 0, VIGILIA),
    (LAVORATIVI, 0, VIGILIA),
])
def test_due_dates(termini: Termini, giorni: int, attesa: date) -> None:
    assert termini.scadenza(VIGILIA, giorni) == attesa


def test_working_days_follow_the_settings() -> None:
    giovedi = date(2026, 3, 5)
    assert LAVORATIVI.scadenza(giovedi, 3) == date(2026, 3, 10)
    assert Termini(calendario="lavorativi", sabato_lavorativo=True).scadenza(
        giovedi, 3) == date(2026, 3, 9)
    assert Termini(calendario="lavorativi", patrono="03-09").scadenza(
        giovedi, 3) == date(2026, 3, 11)


def test_days_between_agree_with_the_due_date() -> None:
    """Counting forwards to the due date gives the term, in both calendars; backwards is
    negative."""
    for termini in (SOLARI, LAVORATIVI):
        for giorni in (0, 1, 3, 7, 30):
            scade = termini.scadenza(VIGILIA, giorni)
            assert termini.giorni_tra(VIGILIA, scade) == giorni
            assert termini.giorni_tra(scade, VIGILIA) == -giorni
    # a holiday adds nothing to the working-day count
    assert LAVORATIVI.giorni_tra(VIGILIA, date(2026, 12, 27)) == 0
    assert LAVORATIVI.giorni_tra(VIGILIA, date(2026, 12, 28)) == 1


def test_working_day_count_equals_a_naive_walk() -> None:
    inizio = date(2026, 1, 1)
    for fine in (inizio + timedelta(days=k) for k in range(0, 400, 7)):
        naive = sum(1 for k in range(1, (fine - inizio).days + 1)
                    if lavorativo(inizio + timedelta(days=k)))
        assert LAVORATIVI.giorni_tra(inizio, fine) == naive


# --- each term at its boundary ---------------------------------------------------------------

CASI = [
    # (termine, the step that starts it, the step that meets it)
    ("trasmissione", "ricevuta_il", "trasmessa_il"),
    ("trasmissione", "ricevuta_il", "risolta_il"),
    ("informazione_servizi", "trasmessa_il", "servizi_informati_il"),
    ("risposta_servizi", "servizi_informati_il", "informazioni_ricevute_il"),
    ("risposta", "ricevuta_il", "risposta_il"),
    ("risposta", "ricevuta_il", "risolta_il"),
]
CATENA = ["ricevuta_il", "trasmessa_il", "servizi_informati_il", "informazioni_ricevute_il",
          "risposta_il"]


def _fino_a(colonna: str, giorno: date) -> dict[str, date]:
    """The chain's dates up to `colonna`, all on `giorno` (each step the same day)."""
    if colonna == "risolta_il":
        return {"ricevuta_il": giorno}
    return {c: giorno for c in CATENA[:CATENA.index(colonna) + 1]}


@pytest.mark.parametrize("termini", [SOLARI, LAVORATIVI], ids=["solari", "lavorativi"])
@pytest.mark.parametrize(("nome", "da", "entro"), CASI)
def test_each_term_at_its_boundary(termini: Termini, nome: str, da: str, entro: str) -> None:
    giorni = termini.giorni(nome)
    scade = termini.scadenza(VIGILIA, giorni)
    prima = _fino_a(da, VIGILIA)
    # still open: not late on the due date, late the day after, listed from then on
    aperta = segnalazione(**prima)
    x = scadenza(aperta, termini, nome)
    assert (x.dal, x.scade_il, x.giorni, x.fatto_il, x.nei_termini) == (
        VIGILIA, scade, giorni, None, None)
    assert nome not in {r.termine for r in regole.in_ritardo(aperta, termini, scade)}
    assert nome in {r.termine for r in
                    regole.in_ritardo(aperta, termini, scade + timedelta(days=1))}
    # met on the due date: on time; the day after: late; either way no longer overdue
    for fatto, puntuale in ((scade, True), (scade + timedelta(days=1), False)):
        date_passi = {**prima, **_fino_a(entro, VIGILIA)} if entro != "risolta_il" else {
            **prima}
        date_passi[entro] = fatto
        # the intermediate steps of the chain happen at the start (only `entro` moves)
        s = segnalazione(**date_passi)
        y = scadenza(s, termini, nome)
        assert (y.fatto_il, y.nei_termini) == (fatto, puntuale), (nome, entro, fatto)
        assert nome not in {r.termine for r in
                            regole.in_ritardo(s, termini, fatto + timedelta(days=400))}


def test_terms_not_started_are_not_there() -> None:
    s = segnalazione()
    assert [x.termine for x in regole.scadenze(s, SOLARI)] == ["trasmissione", "risposta"]
    s = segnalazione(trasmessa_il=VIGILIA)
    assert [x.termine for x in regole.scadenze(s, SOLARI)] == [
        "trasmissione", "informazione_servizi", "risposta"]


def test_two_terms_overdue_at_once() -> None:
    """While the services have not answered, the reply term runs too: both can be late."""
    s = segnalazione(trasmessa_il=VIGILIA, servizi_informati_il=VIGILIA)
    oggi = VIGILIA + timedelta(days=31)
    assert [x.termine for x in regole.in_ritardo(s, SOLARI, oggi)] == [
        "risposta_servizi", "risposta"]


@pytest.mark.parametrize(("termini", "ultimo_utile"), [
    (SOLARI, date(2026, 3, 16)),
    (LAVORATIVI, date(2026, 3, 20)),    # 1 March is a Sunday: 15 working days → Friday 20
])
def test_art_3_late_report_boundary(termini: Termini, ultimo_utile: date) -> None:
    conosciuto = date(2026, 3, 1)
    for ricevuta, tardiva in ((ultimo_utile - timedelta(days=1), False),
                              (ultimo_utile, False),
                              (ultimo_utile + timedelta(days=1), True)):
        s = {"data_conoscenza": conosciuto, "ricevuta_il": ricevuta}
        assert regole.tardiva(s, termini) is tardiva, ricevuta
    assert regole.tardiva({"data_conoscenza": None, "ricevuta_il": date(2030, 1, 1)},
                          termini) is False


def test_the_15_days_are_a_setting() -> None:
    s = {"data_conoscenza": date(2026, 3, 1), "ricevuta_il": date(2026, 3, 12)}
    assert regole.tardiva(s, Termini(ritardo_segnalazione=10)) is True
    assert regole.tardiva(s, Termini(ritardo_segnalazione=11)) is False


def test_the_chain_of_steps() -> None:
    assert regole.SUCCESSIVI["ricevuta"] == ("risolta", "trasmessa")
    assert regole.SUCCESSIVI["trasmessa"] == ("servizi_informati",)
    assert regole.SUCCESSIVI["informazioni_ricevute"] == ("risposta_inviata",)
    assert regole.SUCCESSIVI["risolta"] == regole.SUCCESSIVI["risposta_inviata"] == (
        "riesame", "commissione")
    assert regole.SUCCESSIVI["riesame_concluso"] == ()
    assert regole.SUCCESSIVI["commissione"] == ("commissione_conclusa",)
    assert regole.SUCCESSIVI["commissione_conclusa"] == ()
    # every state is reachable from `ricevuta`
    visti, da_fare = set(), ["ricevuta"]
    while da_fare:
        x = da_fare.pop()
        visti.add(x)
        da_fare += [y for y in regole.SUCCESSIVI[x] if y not in visti]
    assert visti == set(regole.COLONNA_DATA)


def test_state_and_outcome_as_of_a_day() -> None:
    s = segnalazione(trasmessa_il=date(2026, 12, 28), servizi_informati_il=date(2027, 1, 4),
                     informazioni_ricevute_il=date(2027, 1, 8), risposta_il=date(2027, 1, 12),
                     riesame_il=date(2027, 2, 1), riesame_concluso_il=date(2027, 3, 1))
    s.update(esito="respinta", esito_riesame="accolta")
    assert s["stato"] == "riesame_concluso" and regole.esito_finale(s) == "accolta"
    al = regole.al_giorno(s, date(2027, 2, 15))
    assert (al["stato"], al["riesame_concluso_il"], al["esito_riesame"]) == (
        "riesame", None, None)
    assert regole.esito_finale(al) == "respinta"
    al = regole.al_giorno(s, date(2027, 1, 10))
    assert (al["stato"], al["esito"], al["risposta_il"]) == ("informazioni_ricevute", None,
                                                             None)
    assert regole.data_risposta(al) is None
    assert regole.al_giorno(s, VIGILIA)["stato"] == "ricevuta"
    assert s["esito"] == "respinta"   # the original is untouched


# --- Allegato 1 Art. 1, 4, 7 d, 8 (issue 14, item 11) ---------------------------------------

def test_who_may_file() -> None:
    assert regole.PRESENTATA_DA == ("utente", "parente", "associazione", "d_ufficio")


@pytest.mark.parametrize(("urgente", "fatto_il", "nei_termini"), [
    (True, VIGILIA + timedelta(days=1), True),     # the urgent term's last day
    (True, VIGILIA + timedelta(days=2), False),    # the day after: late
    (False, VIGILIA + timedelta(days=2), True),    # the ordinary 3 days
    (False, VIGILIA + timedelta(days=3), True),
    (False, VIGILIA + timedelta(days=4), False),
])
def test_urgent_transmission_term(urgente: bool, fatto_il: date, nei_termini: bool) -> None:
    s = segnalazione(trasmessa_il=fatto_il, urgente=urgente)
    x = scadenza(s, SOLARI, "trasmissione")
    assert x.giorni == (1 if urgente else 3)
    assert x.nei_termini is nei_termini


def test_urgent_term_is_a_setting_and_only_for_the_transmission() -> None:
    s = segnalazione(urgente=True, trasmessa_il=VIGILIA + timedelta(days=1))
    assert scadenza(s, Termini(trasmissione_urgente=0), "trasmissione").nei_termini is False
    assert scadenza(s, SOLARI, "risposta").giorni == 30
    assert scadenza(s, SOLARI, "informazione_servizi").giorni == 3
    # never longer than the ordinary term
    assert scadenza(s, Termini(trasmissione=2, trasmissione_urgente=5),
                    "trasmissione").giorni == 2
    # overdue the day after the urgent term while still open
    aperta = segnalazione(urgente=True)
    assert [x.termine for x in regole.in_ritardo(aperta, SOLARI, VIGILIA + timedelta(days=1))
            ] == []
    assert [x.termine for x in regole.in_ritardo(aperta, SOLARI, VIGILIA + timedelta(days=2))
            ] == ["trasmissione"]


def test_commissione_mista_conciliativa_beside_the_riesame() -> None:
    s = segnalazione(risolta_il=VIGILIA, commissione_il=date(2027, 1, 10),
                     commissione_conclusa_il=date(2027, 2, 10))
    s.update(esito="respinta", esito_commissione="parzialmente_accolta")
    assert s["stato"] == "commissione_conclusa"
    assert regole.esito_finale(s) == "parzialmente_accolta"
    al = regole.al_giorno(s, date(2027, 1, 20))
    assert (al["stato"], al["esito_commissione"]) == ("commissione", None)
    assert regole.esito_finale(al) == "respinta"
    assert regole.CON_ESITO["commissione_conclusa"] == "esito_commissione"
    assert set(regole.RIESAMI) == {"riesame", "commissione"}
