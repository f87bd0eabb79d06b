"""Naive oracle for registro.sanzioni: the same rules, one booking at a time, in plain Python
(Decimal euro, datetime arithmetic, festivi.termine_disdetta), written straight from
DESIGN.md "Bonum / malum" without looking at the polars engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from registro.festivi import termine_disdetta
from registro.money import euro
from registro.sanzioni import RegimeSanzioni

Record = tuple[str, str, Decimal]
ZERO = Decimal("0.00")


def _euro(cent: int | None) -> Decimal | None:
    return None if cent is None else euro(cent)


def _carta1995(r: Mapping[str, Any], regime: RegimeSanzioni) -> list[tuple[str, Decimal]]:
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
    elif stato == "non_presentato":
        malum = euro(regime.malum_cent)
        out.append(("malum", malum))
        if ticket > malum:
            out.append(("rimborso_differenza", ticket - malum))
    elif stato == "disdetta_utente":
        disdetta: datetime | None = r.get("data_disdetta")
        appuntamento: datetime = r["data_appuntamento"]
        if disdetta is not None and appuntamento - disdetta >= timedelta(
            hours=regime.preavviso_ore
        ):
            out.append(("rimborso_ticket", ticket))
    return out


def _dl73(r: Mapping[str, Any], regime: RegimeSanzioni) -> list[tuple[str, Decimal]]:
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
    if inadempiente and not forza_maggiore and quota is not None:
        out.append(("malum", quota))
        if ticket > quota:
            out.append(("rimborso_differenza", ticket - quota))
    return out


def sanzioni_dovute(righe: Iterable[Mapping[str, Any]], regime: RegimeSanzioni) -> list[Record]:
    """(id_prenotazione, tipo, importo in euro) for every record due; never a zero amount."""
    regola = _carta1995 if regime.regime == "carta1995" else _dl73
    return [
        (r["id_prenotazione"], tipo, importo)
        for r in righe
        for tipo, importo in regola(r, regime)
        if importo > ZERO
    ]
