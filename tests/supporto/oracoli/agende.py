"""Naive oracle for the chronological order of the specialist lists (Carta §5.1): every pair
looked at, in plain Python, straight from the rule's words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

URGENZA = {"U": 4, "B": 3, "D": 2, "P": 1}
STATI = ("prenotata", "erogata", "non_presentato")


def _giorno(valore: date | datetime) -> date:
    return valore.date() if isinstance(valore, datetime) else valore


def in_agenda(p: Mapping[str, Any]) -> bool:
    return bool(p.get("in_garanzia")) and p["stato"] in STATI


def scavalcati(prenotazioni: list[Mapping[str, Any]]) -> dict[str, int]:
    """id_prenotazione -> how many it overtook, for the bookings in agenda."""
    agenda = [p for p in prenotazioni if in_agenda(p)]
    esito = {}
    for b in agenda:
        n = 0
        for a in agenda:
            if (a["codice_prestazione"] == b["codice_prestazione"]
                    and a["codice_sede"] == b["codice_sede"]
                    and a["data_prenotazione"] < b["data_prenotazione"]
                    and _giorno(a["data_appuntamento"]) > _giorno(b["data_appuntamento"])
                    and URGENZA.get(b["classe_priorita"] or "", 0)
                    <= URGENZA.get(a["classe_priorita"] or "", 0)):
                n += 1
        esito[b["id_prenotazione"]] = n
    return esito
