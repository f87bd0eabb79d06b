"""The Regolamento di Pubblica Tutela as rules: the steps of a segnalazione, which step may
follow which, and the deadlines (Carta dei servizi 1995, Allegato 1, seeds/004). Pure: no
database, so the API, the CLI, the monitoring list and the semestral report all apply the
same rules.

Steps (the state a step enters, and the date column it sets):

    ricevuta              ricevuta_il               Art. 2 (letter, form, telephone, fax,
    |                                               interview; e-mail added)
    +- risolta            risolta_il + esito        Art. 4, 6 b), 7 b): resolved at once
    +- trasmessa          trasmessa_il              Art. 4: to the Direzione
       +- servizi_informati      servizi_informati_il       Art. 5: heads of the services told
          +- informazioni_ricevute  informazioni_ricevute_il  Art. 5: their information back
             +- risposta_inviata    risposta_il + esito       Art. 6 e), 7 e): reply letter
    risolta | risposta_inviata
       +- riesame         riesame_il                Art. 7 f), Carta §3.3 A 5): the citizen
       |  |                                         is not satisfied
       |  +- riesame_concluso  riesame_concluso_il + esito_riesame  (Difensore Civico)
       +- commissione     commissione_il            Art. 7 d), Art. 8, Carta §3.3 B): the
          |                                         case goes to the Commissione Mista
          |                                         Conciliativa (USL, Regione, associazioni,
          |                                         chaired by the Difensore Civico)
          +- commissione_conclusa  commissione_conclusa_il + esito_commissione

The Commissione is a path *beside* the riesame, not after it: one or the other follows the
answer, and its outcome, once recorded, is the one that stands.

Who filed it (`presentata_da`, Art. 1: "gli utenti, parenti o affini, o organismi di
volontariato o di tutela"; seed 000: the UPT may act on its own initiative): utente,
parente, associazione, d_ufficio. An `urgente` segnalazione (Art. 4: "o comunque nei tempi
rapportati all'urgenza del caso") has the transmission term of the setting
`termine_trasmissione_urgente_giorni` (default 1) instead of the 3 days.

Deadlines (TERMINI). Each runs from one step's date and is met by a later step; the day
counts are settings:

    trasmissione          ricevuta_il -> trasmessa_il or risolta_il   Art. 4, 3 days
    informazione_servizi  trasmessa_il -> servizi_informati_il        Art. 5, 3 days
    risposta_servizi      servizi_informati_il -> informazioni_ricevute_il  Art. 5, 7 days
    risposta              ricevuta_il -> risposta_il or risolta_il    30 days

The regolamento gives the reply no number of days ("tempestiva risposta", Art. 6-7) but
names L. 241/1990 (Art. 7), whose art. 2 sets 30 days where no other term is fixed: that
is the default. The riesame has no term anywhere in the texts, and none is invented.

Art. 3: a report filed more than 15 days after the citizen learned of the act is `tardiva`:
flagged, never refused (the regolamento's term is for the citizen; the UPT still examines).

Counting: the due date of a term of n days from `inizio` is the n-th day after it, in
calendar days or, with `tutela_calendario = "lavorativi"`, in working days (registro.festivi:
Sundays, national holidays, the patron saint's day, Saturdays by setting). A step done on
its due date is on time, the day after is late; a term still open on day X is overdue when
X is after the due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from registro.festivi import lavorativo
from registro.settings import Settings

Calendario = Literal["solari", "lavorativi"]

COLONNA_DATA: dict[str, str] = {
    "ricevuta": "ricevuta_il",
    "risolta": "risolta_il",
    "trasmessa": "trasmessa_il",
    "servizi_informati": "servizi_informati_il",
    "informazioni_ricevute": "informazioni_ricevute_il",
    "risposta_inviata": "risposta_il",
    "riesame": "riesame_il",
    "riesame_concluso": "riesame_concluso_il",
    "commissione": "commissione_il",
    "commissione_conclusa": "commissione_conclusa_il",
}
"""The date column each step sets."""

SUCCESSIVI: dict[str, tuple[str, ...]] = {
    "ricevuta": ("risolta", "trasmessa"),
    "trasmessa": ("servizi_informati",),
    "servizi_informati": ("informazioni_ricevute",),
    "informazioni_ricevute": ("risposta_inviata",),
    "risolta": ("riesame", "commissione"),
    "risposta_inviata": ("riesame", "commissione"),
    "riesame": ("riesame_concluso",),
    "riesame_concluso": (),
    "commissione": ("commissione_conclusa",),
    "commissione_conclusa": (),
}
"""Which step may follow each state: the regolamento's chain, nothing skipped."""

CON_ESITO: dict[str, str] = {"risolta": "esito", "risposta_inviata": "esito",
                             "riesame_concluso": "esito_riesame",
                             "commissione_conclusa": "esito_commissione"}
"""The steps that carry an outcome, and the column it goes to."""

RISPOSTE = ("risolta", "risposta_inviata")
"""The steps that answer the citizen."""

RIESAMI = ("riesame", "commissione")
"""The steps that reopen an answered segnalazione (a contested sanction is held again)."""

PRESENTATA_DA = ("utente", "parente", "associazione", "d_ufficio")
"""Who filed it: Art. 1 (the citizen, a relative, an accredited association) and seed 000
(the office on its own initiative)."""

# Latest first: the state is the latest step whose date is set.
_ORDINE_STATI = ("commissione_conclusa", "commissione", "riesame_concluso", "riesame",
                 "risposta_inviata", "informazioni_ricevute", "servizi_informati",
                 "trasmessa", "risolta")


@dataclass(frozen=True)
class Termine:
    nome: str
    riferimento: str
    """Where the term comes from."""
    descrizione: str
    da: str
    """The date column that starts it."""
    entro: tuple[str, ...]
    """The date columns that meet it (only one of them is ever set)."""
    impostazione: str
    """The setting with its number of days."""


TERMINI: tuple[Termine, ...] = (
    Termine("trasmissione", "Regolamento di Pubblica Tutela, art. 4",
            "istruttoria e trasmissione alla Direzione (o soluzione immediata)",
            "ricevuta_il", ("trasmessa_il", "risolta_il"), "tutela_giorni_trasmissione"),
    Termine("informazione_servizi", "Regolamento di Pubblica Tutela, art. 5",
            "comunicazione ai responsabili dei servizi interessati",
            "trasmessa_il", ("servizi_informati_il",), "tutela_giorni_informazione_servizi"),
    Termine("risposta_servizi", "Regolamento di Pubblica Tutela, art. 5",
            "informazioni dei servizi all'ufficio",
            "servizi_informati_il", ("informazioni_ricevute_il",),
            "tutela_giorni_risposta_servizi"),
    Termine("risposta", "Regolamento di Pubblica Tutela, artt. 6-7; L. 241/1990, art. 2",
            "risposta al cittadino", "ricevuta_il", ("risposta_il", "risolta_il"),
            "tutela_giorni_risposta"),
)
NOMI_TERMINI = tuple(t.nome for t in TERMINI)


@dataclass(frozen=True)
class Termini:
    """The day counts and how days are counted (settings `tutela_*`, `sabato_lavorativo`,
    `patrono`)."""

    trasmissione: int = 3
    trasmissione_urgente: int = 1
    informazione_servizi: int = 3
    risposta_servizi: int = 7
    risposta: int = 30
    ritardo_segnalazione: int = 15
    calendario: Calendario = "solari"
    sabato_lavorativo: bool = False
    patrono: str | None = None

    @classmethod
    def da_impostazioni(cls, settings: Settings) -> Termini:
        return cls(trasmissione=settings.tutela_giorni_trasmissione,
                   trasmissione_urgente=settings.termine_trasmissione_urgente_giorni,
                   informazione_servizi=settings.tutela_giorni_informazione_servizi,
                   risposta_servizi=settings.tutela_giorni_risposta_servizi,
                   risposta=settings.tutela_giorni_risposta,
                   ritardo_segnalazione=settings.tutela_giorni_ritardo_segnalazione,
                   calendario=settings.tutela_calendario,
                   sabato_lavorativo=settings.sabato_lavorativo, patrono=settings.patrono)

    def giorni(self, termine: str) -> int:
        valore: int = getattr(self, termine)
        return valore

    def _conta(self, d: date) -> bool:
        return self.calendario == "solari" or lavorativo(
            d, sabato_lavorativo=self.sabato_lavorativo, patrono=self.patrono)

    def scadenza(self, inizio: date, giorni: int) -> date:
        """The `giorni`-th (working) day after `inizio`: the last day on time."""
        if self.calendario == "solari":
            return inizio + timedelta(days=giorni)
        d, contati = inizio, 0
        while contati < giorni:
            d += timedelta(days=1)
            if self._conta(d):
                contati += 1
        return d

    def giorni_tra(self, inizio: date, fine: date) -> int:
        """Days from `inizio` to `fine` as the setting counts them: calendar days, or the
        working days in (inizio, fine] (negative when `fine` comes first)."""
        if self.calendario == "solari":
            return (fine - inizio).days
        segno, a, b = (1, inizio, fine) if fine >= inizio else (-1, fine, inizio)
        n = sum(1 for k in range(1, (b - a).days + 1) if self._conta(a + timedelta(days=k)))
        return segno * n

    @property
    def unita(self) -> str:
        return "giorni lavorativi" if self.calendario == "lavorativi" else "giorni di calendario"


@dataclass(frozen=True)
class Scadenza:
    """One term of one segnalazione: when it started, when it is due, when it was met."""

    termine: str
    riferimento: str
    descrizione: str
    giorni: int
    dal: date
    scade_il: date
    fatto_il: date | None
    """The date of the step that met it; None while open."""

    @property
    def nei_termini(self) -> bool | None:
        return None if self.fatto_il is None else self.fatto_il <= self.scade_il

    def in_ritardo(self, oggi: date) -> bool:
        """Still open on `oggi` and past its due date."""
        return self.fatto_il is None and oggi > self.scade_il


def _data(s: Mapping[str, Any], colonna: str) -> date | None:
    valore = s.get(colonna)
    return valore if isinstance(valore, date) else None


def scadenze(s: Mapping[str, Any], termini: Termini) -> list[Scadenza]:
    """The terms that have started for the segnalazione `s` (a mapping with the date
    columns), in the regolamento's order."""
    out = []
    for t in TERMINI:
        inizio = _data(s, t.da)
        if inizio is None:
            continue
        fatti = [d for d in (_data(s, c) for c in t.entro) if d is not None]
        giorni = giorni_termine(s, t.nome, termini)
        out.append(Scadenza(termine=t.nome, riferimento=t.riferimento,
                            descrizione=t.descrizione, giorni=giorni, dal=inizio,
                            scade_il=termini.scadenza(inizio, giorni),
                            fatto_il=min(fatti) if fatti else None))
    return out


def giorni_termine(s: Mapping[str, Any], termine: str, termini: Termini) -> int:
    """The days of `termine` for `s`: an urgent segnalazione's transmission term is the
    urgent one (Art. 4), never longer than the ordinary one."""
    if termine == "trasmissione" and s.get("urgente"):
        return min(termini.trasmissione_urgente, termini.trasmissione)
    return termini.giorni(termine)


def in_ritardo(s: Mapping[str, Any], termini: Termini, oggi: date) -> list[Scadenza]:
    """The overdue terms of `s` on `oggi`: the Direttore Sanitario's `tutela_in_ritardo`."""
    return [x for x in scadenze(s, termini) if x.in_ritardo(oggi)]


def tardiva(s: Mapping[str, Any], termini: Termini) -> bool:
    """Art. 3: filed after the 15 days (the setting) from when the citizen learned of the
    act. Without that date nothing can be said: not flagged."""
    conosciuto, ricevuta = _data(s, "data_conoscenza"), _data(s, "ricevuta_il")
    if conosciuto is None or ricevuta is None:
        return False
    return ricevuta > termini.scadenza(conosciuto, termini.ritardo_segnalazione)


def stato_da_date(s: Mapping[str, Any]) -> str:
    """The state the date columns describe: the latest step recorded."""
    for stato in _ORDINE_STATI:
        if _data(s, COLONNA_DATA[stato]) is not None:
            return stato
    return "ricevuta"


def al_giorno(s: Mapping[str, Any], giorno: date) -> dict[str, Any]:
    """The segnalazione as it stood at the end of `giorno`: later steps (and the outcomes
    they carried) are not there yet. Reports for a closed period use this, so a later run
    gives the same figures."""
    out = dict(s)
    for colonna in COLONNA_DATA.values():
        d = _data(out, colonna)
        if d is not None and d > giorno and colonna != "ricevuta_il":
            out[colonna] = None
    out["stato"] = stato_da_date(out)
    if _data(out, "risolta_il") is None and _data(out, "risposta_il") is None:
        out["esito"] = None
    if _data(out, "riesame_concluso_il") is None:
        out["esito_riesame"] = None
    if _data(out, "commissione_conclusa_il") is None:
        out["esito_commissione"] = None
    return out


def data_risposta(s: Mapping[str, Any]) -> date | None:
    """When the citizen was answered (at once or by letter), if they were."""
    return _data(s, "risolta_il") or _data(s, "risposta_il")


def esito_finale(s: Mapping[str, Any]) -> str | None:
    """The outcome that stands: the Commissione's or the riesame's once concluded, else the
    reply's."""
    commissione = s.get("esito_commissione") if _data(s, "commissione_conclusa_il") else None
    finale = s.get("esito_riesame") if _data(s, "riesame_concluso_il") else None
    return commissione or finale or s.get("esito")
