"""The console's menu: one entry per area, shown to the roles whose permission it names.
A new area adds one line here (and its routes to `montaggio.AREE`)."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Voce(NamedTuple):
    percorso: str
    etichetta: str
    permesso: str


VOCI: tuple[Voce, ...] = (
    Voce("/console/", "Cruscotto", "leggere"),
    Voce("/console/monitoraggio", "Lista di monitoraggio", "leggere"),
    Voce("/console/sanzioni", "Sanzioni", "leggere"),
    Voce("/console/segnalazioni", "Segnalazioni", "leggere_segnalazioni"),
    Voce("/console/rapporti", "Rapporti", "leggere_rapporti"),
    Voce("/console/ingest", "Caricamenti", "caricare"),
    Voce("/console/impostazioni", "Impostazioni", "leggere_impostazioni"),
)


class _ConPermessi(Protocol):
    def puo(self, permesso: str) -> bool: ...


def voci_per(persona: _ConPermessi | None) -> list[Voce]:
    """The entries this person may open (none before login)."""
    if persona is None:
        return []
    return [v for v in VOCI if persona.puo(v.permesso)]
