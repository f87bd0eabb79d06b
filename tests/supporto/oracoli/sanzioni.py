"""Naive oracle for registro.sanzioni: the same rules, one booking at a time, in plain Python
(Decimal euro, datetime arithmetic, festivi.termine_disdetta), written straight from
DESIGN.md "Bonum / malum" without looking at the polars engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from registro.festivi import termine_disdetta
from registro.money import euro
from registro.sanzioni import RegimeSanzioni

Record = tuple[str, str, Decimal]
ZERO = Decimal("0.00")


def _euro(cent: int | None) -> Decimal | None:
    return None if cent is None else euro(cent)


def _avvenuto(r: Mapping[str, Any], oggi: date) -> bool:
    """The appointment's day is not after the reference date."""
    appuntamento: datetime = r["data_appuntamento"]
    return appuntamento.date() <= oggi


def _per_preavviso(appuntamento: datetime) -> datetime:
    """A date-only appointment (00:00) counts from the end of its day."""
    if appuntamento.time() == time(0, 0):
        return datetime.combine(appuntamento.date() + timedelta(days=1), time(0, 0))
    return appuntamento


def _carta1995(r: Mapping[str, Any], regime: RegimeSanzioni, oggi: date
               ) -> list[tuple[str, Decimal]]:
    stato: str = r["stato"]
    ticket = _euro(r.get("importo_ticket_cent")) or ZERO
    esito = r.get("esito_annullamento")
    out: list[tuple[str, Decimal]] = []
    if stato == "annullata_ente":
        causale = r.get("causale_annullamento")
        esenti = {c.strip().lower() for c in regime.causali_esenti}
        esente = causale is not None and causale.strip().lower() in esenti
        if not esente:
            out.append(("bonum", euro(regime.bonum_cent)))
        if esito == "rinuncia":
            out.append(("rimborso_ticket", ticket))
    inadempiente = stato == "non_presentato"
    if stato == "disdetta_utente":
        disdetta: datetime | None = r.get("data_disdetta")
        appuntamento: datetime = r["data_appuntamento"]
        if disdetta is not None:
            if _per_preavviso(appuntamento) - disdetta >= timedelta(hours=regime.preavviso_ore):
                out.append(("rimborso_ticket", ticket))
            else:
                inadempiente = True
    if inadempiente and _avvenuto(r, oggi):
        malum = euro(regime.malum_cent)
        out.append(("malum", malum))
        if ticket > malum:
            out.append(("rimborso_differenza", ticket - malum))
    return out


def _dl73(r: Mapping[str, Any], regime: RegimeSanzioni, oggi: date
          ) -> list[tuple[str, Decimal]]:
    stato: str = r["stato"]
    ticket = _euro(r.get("importo_ticket_cent")) or ZERO
    quota = _euro(r.get("quota_ordinaria_cent"))
    forza_maggiore = bool(r.get("forza_maggiore"))
    out: list[tuple[str, Decimal]] = []
    inadempiente = False
    if stato == "annullata_ente":
        if r.get("esito_annullamento") == "rinuncia":
            out.append(("rimborso_ticket", ticket))
    elif stato == "non_presentato":
        inadempiente = True
    elif stato == "disdetta_utente" and r.get("data_disdetta") is not None:
        termine = termine_disdetta(
            r["data_appuntamento"].date(), 2,
            sabato_lavorativo=regime.sabato_lavorativo, patrono=regime.patrono,
        )
        if r["data_disdetta"].date() <= termine:
            out.append(("rimborso_ticket", ticket))
        else:
            inadempiente = True
    if inadempiente and _avvenuto(r, oggi) and not forza_maggiore and quota is not None:
        out.append(("malum", quota))
        if ticket > quota:
            out.append(("rimborso_differenza", ticket - quota))
    return out


def _referto(r: Mapping[str, Any], regime: RegimeSanzioni, oggi: date
             ) -> list[tuple[str, Decimal]]:
    """Both regimes: an `erogata` booking from an export that tracks the collection, whose
    report came after the term or never (the term over at `oggi`), owes tariff - ticket."""
    if r["stato"] != "erogata" or not r.get("ritiro_referto_tracciato"):
        return []
    tariffa = _euro(r.get("tariffa_cent"))
    if tariffa is None:
        return []
    scadenza = r["data_appuntamento"].date() + timedelta(
        days=regime.termine_ritiro_referto_giorni)
    ritiro: date | None = r.get("data_ritiro_referto")
    tardi = oggi > scadenza if ritiro is None else ritiro > scadenza
    if not tardi:
        return []
    ticket = _euro(r.get("importo_ticket_cent")) or ZERO
    return [("referto_non_ritirato", max(ZERO, tariffa - ticket))]


def sanzioni_dovute(righe: Iterable[Mapping[str, Any]], regime: RegimeSanzioni, oggi: date
                    ) -> list[Record]:
    """(id_prenotazione, tipo, importo in euro) for every record due at the reference date
    `oggi`; never a zero amount."""
    regola = _carta1995 if regime.regime == "carta1995" else _dl73
    return [
        (r["id_prenotazione"], tipo, importo)
        for r in righe
        for tipo, importo in [*regola(r, regime, oggi), *_referto(r, regime, oggi)]
        if importo > ZERO
    ]
