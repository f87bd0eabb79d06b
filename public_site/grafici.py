"""Geometry of the monthly-trend chart: an inline SVG bar chart and its text alternative.

Computed here, drawn by `prestazione.html`: the template only places what it is given, so
the scale, the bar positions and the sentence a screen reader hears are tested as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from public_site.formato import MESI, nome_mese
from registro.formato import giorni
from registro.periodo import Periodo
from registro.soppressione import DATI_INSUFFICIENTI

LARGHEZZA, ALTEZZA = 640, 220
"""The SVG's viewBox: the chart scales to the page width."""
MARGINE_SINISTRO, MARGINE_BASSO, MARGINE_ALTO, MARGINE_DESTRO = 70, 30, 10, 10


@dataclass(frozen=True)
class Barra:
    """One month: its slot and label; `y` and `h` only when the month has a median to show
    (an empty or suppressed month keeps its label and has no bar)."""

    x: float
    w: float
    etichetta: str
    xt: float
    y: float | None = None
    h: float | None = None


@dataclass(frozen=True)
class Grafico:
    larghezza: int
    altezza: int
    base: int
    sinistra: int
    barre: list[Barra]
    massimo: str
    y_linea: float | None
    linea: int | None
    """The target in days, drawn as a line when one target applies to every month."""
    testo: str
    """The same values as a sentence, for the SVG's <desc>."""


def mesi_del_periodo(periodo: Periodo) -> list[str]:
    """The months of a period as 'AAAA-MM', in order."""
    mesi, anno, mese = [], periodo.inizio.year, periodo.inizio.month
    while date(anno, mese, 1) < periodo.fine:
        mesi.append(f"{anno:04d}-{mese:02d}")
        anno, mese = (anno + 1, 1) if mese == 12 else (anno, mese + 1)
    return mesi


def grafico(punti: dict[str, dict[str, Any]], periodo: Periodo) -> Grafico:
    """Geometry of the monthly-trend bar chart (median wait) and its text alternative."""
    mesi = mesi_del_periodo(periodo)
    valori = [p["attesa_mediana"] for p in punti.values() if p["attesa_mediana"] is not None]
    standard = {p["standard_giorni"] for p in punti.values() if p["standard_giorni"] is not None}
    linea = standard.pop() if len(standard) == 1 else None
    massimo = max([*valori, linea or 0, 1])
    passo = (LARGHEZZA - MARGINE_SINISTRO - MARGINE_DESTRO) / max(len(mesi), 1)
    scala = (ALTEZZA - MARGINE_BASSO - MARGINE_ALTO) / massimo
    base = ALTEZZA - MARGINE_BASSO
    barre, testo = [], []
    for i, mese in enumerate(mesi):
        p = punti.get(mese)
        x = MARGINE_SINISTRO + i * passo
        y: float | None = None
        h: float | None = None
        if p is None:
            testo.append(f"{nome_mese(mese)}: nessuna prenotazione")
        elif p["soppresso"]:
            testo.append(f"{nome_mese(mese)}: {DATI_INSUFFICIENTI}")
        else:
            altezza = p["attesa_mediana"] * scala
            y, h = round(base - altezza, 1), round(altezza, 1)
            testo.append(f"{nome_mese(mese)}: {giorni(p['attesa_mediana'])} giorni")
        barre.append(Barra(x=round(x + passo * 0.15, 1), w=round(passo * 0.7, 1),
                           etichetta=MESI[int(mese[5:]) - 1][:3], xt=round(x + passo / 2, 1),
                           y=y, h=h))
    return Grafico(
        larghezza=LARGHEZZA, altezza=ALTEZZA, base=base, sinistra=MARGINE_SINISTRO,
        barre=barre, massimo=giorni(massimo),
        y_linea=round(base - linea * scala, 1) if linea is not None else None,
        linea=linea, testo="; ".join(testo) + ".",
    )
