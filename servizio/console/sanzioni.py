"""The sanctions' console queries and the state change made from a page. The list is read in
pages by key (the record number, newest first) so that a page costs the same at record 50
and at record 50,000; the totals are one grouped query over the same filters. A change goes
through the register's state machine (`registro.stato_sanzioni.cambia_stato`), checked
against the state the person saw, and is audited as the API's PATCH is."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from registro.audit import registra_audit
from registro.errors import Conflitto, ErroreUtente, NonTrovato, senza_nul
from registro.models import Audit, Prenotazione, Prestazione, Sanzione, Sede
from registro.money import euro
from registro.stato_sanzioni import FINALI, TRANSIZIONI, cambia_stato, sanzione_dict
from registro.types import STATI_SANZIONE, TIPI_SANZIONE
from servizio.console.service import Persona

PER_PAGINA = 50
AZIONE = "console stato sanzione"


@dataclass(frozen=True)
class Filtri:
    tipo: str | None = None
    stato: str | None = None
    sede: str | None = None
    dal: date | None = None
    al: date | None = None

    def come_query(self) -> dict[str, str]:
        valori = {"tipo": self.tipo, "stato": self.stato, "sede": self.sede,
                  "dal": self.dal.isoformat() if self.dal else None,
                  "al": self.al.isoformat() if self.al else None}
        return {k: v for k, v in valori.items() if v}


def _giorno(testo: str | None, nome: str, errori: list[tuple[str, str]]) -> date | None:
    testo = (testo or "").strip()
    if not testo:
        return None
    try:
        return date.fromisoformat(testo)
    except ValueError:
        errori.append((f"f-{nome}", f"Data «{testo[:20]}» non valida: usare il formato "
                                    "AAAA-MM-GG, per esempio 2026-03-15."))
        return None


def leggi_filtri(*, tipo: str | None, stato: str | None, sede: str | None, dal: str | None,
                 al: str | None) -> tuple[Filtri, list[tuple[str, str]]]:
    """The filters of the query string, and an Italian message for each one that is wrong
    (that filter is then left out: the page still shows the rest)."""
    errori: list[tuple[str, str]] = []
    if tipo and tipo not in TIPI_SANZIONE:
        errori.append(("f-tipo", f"Tipo sconosciuto: {tipo[:30]!r}."))
        tipo = None
    if stato and stato not in STATI_SANZIONE:
        errori.append(("f-stato", f"Stato sconosciuto: {stato[:30]!r}."))
        stato = None
    sede = (sede or "").strip()[:40] or None
    if sede and "\x00" in sede:
        errori.append(("f-sede", "Il codice della sede contiene caratteri non ammessi."))
        sede = None
    inizio, fine = _giorno(dal, "dal", errori), _giorno(al, "al", errori)
    if inizio and fine and inizio > fine:
        errori.append(("f-dal", "La data iniziale è successiva a quella finale."))
        inizio = fine = None
    return Filtri(tipo=tipo or None, stato=stato or None, sede=sede, dal=inizio,
                  al=fine), errori


def _condizioni(filtri: Filtri) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filtri.tipo:
        out.append(col(Sanzione.tipo) == filtri.tipo)
    if filtri.stato:
        out.append(col(Sanzione.stato) == filtri.stato)
    if filtri.dal:
        out.append(col(Sanzione.data_emissione) >= filtri.dal)
    if filtri.al:
        out.append(col(Sanzione.data_emissione) < filtri.al + timedelta(days=1))
    if filtri.sede:
        # A sub-select, not a join: the totals need no booking column, and the list's join
        # stays an outer one (a sanction whose booking is gone still shows).
        out.append(col(Sanzione.id_prenotazione).in_(
            select(Prenotazione.id_prenotazione).where(
                Prenotazione.codice_sede == filtri.sede)))
    return out


@dataclass(frozen=True)
class Riga:
    id: int
    id_prenotazione: str
    tipo: str
    importo: Decimal
    stato: str
    data_emissione: date
    codice_sede: str | None
    codice_prestazione: str | None


def pagina(*, session: Session, filtri: Filtri, dopo: int | None,
           per_pagina: int | None = None) -> tuple[list[Riga], int | None]:
    """One page, newest record first, after record `dopo`; and the key of the next page
    (None on the last)."""
    per_pagina = per_pagina or PER_PAGINA
    q = (sa_select(col(Sanzione.id), col(Sanzione.id_prenotazione), col(Sanzione.tipo),
                   col(Sanzione.importo_cent), col(Sanzione.stato),
                   col(Sanzione.data_emissione), col(Prenotazione.codice_sede),
                   col(Prenotazione.codice_prestazione))
         .join(Prenotazione, col(Prenotazione.id_prenotazione) == col(Sanzione.id_prenotazione),
               isouter=True)
         .where(*_condizioni(filtri)))
    if dopo is not None:
        q = q.where(col(Sanzione.id) < dopo)
    righe = session.execute(q.order_by(col(Sanzione.id).desc()).limit(per_pagina + 1)).all()
    voci = [Riga(id=r[0], id_prenotazione=r[1], tipo=r[2], importo=euro(r[3]), stato=r[4],
                 data_emissione=r[5], codice_sede=r[6], codice_prestazione=r[7])
            for r in righe[:per_pagina]]
    prossimo = voci[-1].id if len(righe) > per_pagina and voci else None
    return voci, prossimo


@dataclass
class Totale:
    tipo: str
    stato: str | None
    """None on a kind's subtotal row."""
    numero: int = 0
    importo: Decimal = field(default_factory=lambda: Decimal("0.00"))


def totali(*, session: Session, filtri: Filtri) -> list[Totale]:
    """Count and amount per kind and state, each kind followed by its subtotal. No grand
    total of amounts: a bonum is owed by the authority, a malum by the citizen."""
    q = (sa_select(col(Sanzione.tipo), col(Sanzione.stato), func.count(),
                   func.sum(col(Sanzione.importo_cent)))
         .where(*_condizioni(filtri)).group_by(col(Sanzione.tipo), col(Sanzione.stato)))
    per_tipo: dict[str, list[Totale]] = {}
    for tipo, stato, n, cent in session.execute(q).all():
        per_tipo.setdefault(tipo, []).append(Totale(tipo, stato, int(n), euro(int(cent or 0))))
    out: list[Totale] = []
    ordine_tipi = [t for t in TIPI_SANZIONE if t in per_tipo] + \
        sorted(t for t in per_tipo if t not in TIPI_SANZIONE)
    for tipo in ordine_tipi:
        righe = sorted(per_tipo[tipo], key=lambda t: (
            STATI_SANZIONE.index(t.stato) if t.stato in STATI_SANZIONE else 99, t.stato))
        out += righe
        out.append(Totale(tipo, None, sum(t.numero for t in righe),
                          sum((t.importo for t in righe), Decimal("0.00"))))
    return out


# --- one sanction ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Passo:
    quando: datetime
    da: str | None
    a: str | None
    utente: str
    ruolo: str
    motivo: str | None


@dataclass(frozen=True)
class Scheda:
    s: Sanzione
    prenotazione: Prenotazione | None
    prestazione: str | None
    sede: str | None
    storia: list[Passo]
    ammessi: tuple[str, ...]


def _json(testo: str | None) -> dict[str, Any]:
    try:
        valore = json.loads(testo) if testo else {}
    except ValueError:
        return {}
    return valore if isinstance(valore, dict) else {}


def storia(*, session: Session, id_sanzione: int) -> list[Passo]:
    """The state changes of a record, from the audit (API, Pubblica tutela and console write
    the same row: resource `sanzione`, reference its number), oldest first."""
    righe = session.exec(select(Audit).where(
        Audit.risorsa == "sanzione", Audit.riferimento == str(id_sanzione))
        .order_by(col(Audit.quando), col(Audit.id))).all()
    out = []
    for a in righe:
        prima, dopo = _json(a.prima), _json(a.dopo)
        motivo = dopo.get("motivo_cambio")
        out.append(Passo(quando=a.quando, da=prima.get("stato"), a=dopo.get("stato"),
                         utente=a.utente, ruolo=a.ruolo,
                         motivo=motivo if isinstance(motivo, str) else None))
    return out


def scheda(*, session: Session, id_sanzione: int) -> Scheda:
    s = session.get(Sanzione, id_sanzione)
    if s is None:
        raise NonTrovato(f"sanzione n. {id_sanzione} non presente nel registro")
    p = session.get(Prenotazione, s.id_prenotazione)
    prestazione = sede = None
    if p is not None:
        catalogo = session.get(Prestazione, p.codice_prestazione)
        prestazione = catalogo.descrizione if catalogo else None
        luogo = session.get(Sede, p.codice_sede)
        sede = luogo.nome if luogo else None
    return Scheda(s=s, prenotazione=p, prestazione=prestazione, sede=sede,
                  storia=storia(session=session, id_sanzione=id_sanzione),
                  ammessi=() if s.stato in FINALI else TRANSIZIONI.get(s.stato, ()))


def cambia(*, session: Session, id_sanzione: int, visto: str, stato: str, motivo: str,
           persona: Persona) -> Sanzione:
    """Move a record from the state the person saw (`visto`) to `stato`, audited with the
    person's name. Conflitto when the record is no longer in `visto` (someone else moved it
    meanwhile) or the state machine refuses; ErroreUtente when annulling without a reason.
    The caller commits."""
    senza_nul(motivo, "motivo")
    if stato not in STATI_SANZIONE:
        raise ErroreUtente(f"stato sconosciuto: {stato[:30]!r}")
    s = session.get(Sanzione, id_sanzione, with_for_update=True)
    if s is None:
        raise NonTrovato(f"sanzione n. {id_sanzione} non presente nel registro")
    if s.stato != visto:
        raise Conflitto(f"la sanzione n. {id_sanzione} è stata modificata da un'altra persona "
                        f"nel frattempo: ora è «{s.stato}», non più «{visto}». Controllare "
                        "lo stato attuale e, se serve, ripetere il cambio.")
    motivo = motivo.strip()
    prima, dopo = cambia_stato(session=session, id_sanzione=id_sanzione, stato=stato,
                               motivo=motivo or None)
    registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                   azione=f"{AZIONE} {id_sanzione}", risorsa="sanzione",
                   riferimento=str(id_sanzione), prima=prima,
                   dopo={**sanzione_dict(dopo), "motivo_cambio": motivo or None})
    return dopo
