"""The Pubblica Tutela pages' work: the form's text turned into the domain's arguments (with
one Italian message per bad field, nothing lost), and the calls to `registro.tutela` with the
logged-in person as the author. The domain checks and audits every write; nothing here
touches SQL, and no message here echoes the citizen's contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from registro.errors import ErroreUtente
from registro.tutela import regole, service
from registro.types import (
    CANALI_SEGNALAZIONE,
    PRESENTATORI,
    STATI_SEGNALAZIONE,
    TIPI_SEGNALAZIONE,
)
from servizio.console.service import Persona

PER_PAGINA = 50
CAMPI_NUOVA = ("canale", "tipo", "oggetto", "ricevuta_il", "ricevuta_da", "data_conoscenza",
               "servizio", "id_prenotazione", "id_ricovero", "id_sanzione", "nota",
               "presentata_da", "urgente", "nome", "indirizzo", "telefono", "email")
"""The Allegato 2 fields as the form names them (the contact's four last)."""


def _autore(persona: Persona, azione: str) -> service.Autore:
    return service.Autore(nome=persona.nome, ruolo=persona.ruolo, azione=azione)


def _giorno(testo: str, campo: str, errori: list[tuple[str, str]]) -> date | None:
    testo = testo.strip()
    if not testo:
        return None
    try:
        return date.fromisoformat(testo)
    except ValueError:
        errori.append((campo, f"{campo}: data non valida (formato AAAA-MM-GG)."))
        return None


def _scelta(valore: str, ammessi: tuple[str, ...], campo: str,
            errori: list[tuple[str, str]]) -> str:
    if valore not in ammessi:
        errori.append((campo, f"{campo}: scegliere un valore tra {', '.join(ammessi)}."))
    return valore


@dataclass
class Nuova:
    """The registration form as typed: kept whole to be shown again after an error."""

    valori: dict[str, str]
    errori: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def vuota(cls, persona: Persona, oggi: date) -> Nuova:
        valori = dict.fromkeys(CAMPI_NUOVA, "")
        valori.update(canale="lettera", tipo="disfunzione", presentata_da="utente",
                      ricevuta_il=oggi.isoformat(), ricevuta_da=persona.nome)
        return cls(valori)

    def argomenti(self, oggi: date) -> dict[str, Any]:
        """The keyword arguments of `service.crea`; the form's own errors in `errori`."""
        v, e = self.valori, self.errori
        sanzione = v.get("id_sanzione", "").strip()
        id_sanzione = None
        if sanzione:
            if sanzione.isdigit() and 0 < int(sanzione) < 2**31:
                id_sanzione = int(sanzione)
            else:
                e.append(("id_sanzione", "id_sanzione: il numero della sanzione non è valido."))
        return {
            "canale": _scelta(v.get("canale", ""), CANALI_SEGNALAZIONE, "canale", e),
            "tipo": _scelta(v.get("tipo", ""), TIPI_SEGNALAZIONE, "tipo", e),
            "presentata_da": _scelta(v.get("presentata_da", ""), PRESENTATORI,
                                     "presentata_da", e),
            "oggetto": v.get("oggetto", ""),
            "ricevuta_il": _giorno(v.get("ricevuta_il", ""), "ricevuta_il", e) or oggi,
            "ricevuta_da": v.get("ricevuta_da", ""),
            "data_conoscenza": _giorno(v.get("data_conoscenza", ""), "data_conoscenza", e),
            "servizio": v.get("servizio") or None,
            "id_prenotazione": v.get("id_prenotazione", "").strip() or None,
            "id_ricovero": v.get("id_ricovero", "").strip() or None,
            "id_sanzione": id_sanzione,
            "nota": v.get("nota") or None,
            "urgente": v.get("urgente") == "1",
            "contatto": service.Contatto(nome=v.get("nome"), indirizzo=v.get("indirizzo"),
                                         telefono=v.get("telefono"), email=v.get("email")),
        }


def registra(*, session: Session, persona: Persona, modulo: Nuova, oggi: date) -> int | None:
    """Record the segnalazione (audited by the domain under the person's name); None with the
    form's `errori` filled when something is wrong. The caller commits."""
    argomenti = modulo.argomenti(oggi)
    if not (argomenti["ricevuta_da"] or "").strip():
        modulo.errori.append(("ricevuta_da", "Indicare chi ha ricevuto la segnalazione."))
    if not (argomenti["oggetto"] or "").strip():
        modulo.errori.append(("oggetto", "Scrivere l'oggetto della segnalazione."))
    if modulo.errori:
        return None
    try:
        s = service.crea(session=session, autore=_autore(persona, "console segnalazione nuova"),
                         oggi=oggi, **argomenti)
    except ErroreUtente as exc:
        modulo.errori.append(("modulo", str(exc)))
        return None
    assert s.id is not None
    return s.id


def registra_passo(*, session: Session, persona: Persona, numero: int, passo: str,
                   data: str, esito: str, nota: str, oggi: date) -> list[tuple[str, str]]:
    """Record the next step (the domain refuses one the regolamento does not allow, with
    `Conflitto`, which the caller shows as 409). The form's own errors are returned."""
    errori: list[tuple[str, str]] = []
    giorno = _giorno(data, "data", errori)
    if errori:
        return errori
    service.registra_passo(
        session=session, autore=_autore(persona, f"console segnalazione passo {numero}"),
        oggi=oggi, id_segnalazione=numero, passo=passo, data=giorno,
        esito=esito or None, nota=nota or None)
    return errori


@dataclass(frozen=True)
class Filtri:
    stato: str | None = None
    canale: str | None = None
    in_ritardo: bool = False

    @classmethod
    def da_query(cls, stato: str | None, canale: str | None, in_ritardo: str | None
                 ) -> tuple[Filtri, list[tuple[str, str]]]:
        errori = []
        if stato and stato not in STATI_SEGNALAZIONE:
            errori.append(("f-stato", f"stato sconosciuto (ammessi: "
                                      f"{', '.join(STATI_SEGNALAZIONE)})."))
            stato = None
        if canale and canale not in CANALI_SEGNALAZIONE:
            errori.append(("f-canale", f"canale sconosciuto (ammessi: "
                                       f"{', '.join(CANALI_SEGNALAZIONE)})."))
            canale = None
        return cls(stato or None, canale or None, bool(in_ritardo)), errori

    def come_query(self) -> dict[str, str]:
        q = {"stato": self.stato or "", "canale": self.canale or ""}
        if self.in_ritardo:
            q["in_ritardo"] = "1"
        return {k: v for k, v in q.items() if v}


def prossimo_termine(scadenze: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The open term due first: what the office must do next, and by when."""
    aperte = [x for x in scadenze if x["fatto_il"] is None]
    return min(aperte, key=lambda x: x["scade_il"]) if aperte else None


def elenco(*, session: Session, termini: regole.Termini, oggi: date, filtri: Filtri,
           pagina: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of the register (no contact), each with its overdue terms and the next."""
    totale, righe = service.elenco(
        session=session, termini=termini, oggi=oggi, pagina=pagina, per_pagina=PER_PAGINA,
        stato=filtri.stato, canale=filtri.canale,
        in_ritardo=True if filtri.in_ritardo else None)
    out = []
    for s in righe:
        d = service.pubblica(s, termini=termini, oggi=oggi)
        d["ritardi"] = [x for x in d["scadenze"] if x["in_ritardo"]]
        d["prossimo"] = prossimo_termine(d["scadenze"])
        out.append(d)
    return totale, out


def scheda(*, session: Session, termini: regole.Termini, oggi: date, numero: int,
           con_contatto: bool) -> dict[str, Any]:
    """One segnalazione with its steps, terms, the steps that may follow and which of them
    carry an outcome; the contact only when `con_contatto`."""
    d = service.dettaglio(session=session, id_segnalazione=numero, termini=termini,
                          oggi=oggi, con_contatto=con_contatto)
    d["ritardi"] = [x for x in d["scadenze"] if x["in_ritardo"]]
    d["prossimo"] = prossimo_termine(d["scadenze"])
    d["successivi"] = regole.SUCCESSIVI.get(d["stato"], ())
    d["con_esito"] = tuple(p for p in d["successivi"] if p in regole.CON_ESITO)
    d["ha_risposta"] = regole.data_risposta(d) is not None
    return d

