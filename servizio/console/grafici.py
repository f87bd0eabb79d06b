"""Geometry of the dashboard's charts: inline SVG bars and the sentence a screen reader hears.

The public site's chart (`public_site.grafici`) is the model and its pieces are reused: the
monthly trend is one of its `Grafico`s (same viewBox, margins and `Barra`), the shares by
branca, by site and of the ten worst services are horizontal bars in the same style. Computed
here, placed by `cruscotto.html`: the template only draws what it is given, so the scale, the
positions and the text alternative are data the tests read. Every figure is in the table
beside the chart, which stays the accessible source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from public_site.formato import MESI, nome_mese
from public_site.grafici import (
    ALTEZZA,
    LARGHEZZA,
    MARGINE_ALTO,
    MARGINE_BASSO,
    MARGINE_DESTRO,
    MARGINE_SINISTRO,
    Barra,
    Grafico,
)
from registro.formato import percentuale
from reports.cruscotto import Cruscotto

LARGHEZZA_BARRE = 360
"""The horizontal charts' viewBox width: narrower than the trend's, so that on a phone the
labels shrink less."""
SINISTRA_BARRE, SPAZIO_VALORE = 8, 64
"""Bars start at the left edge (the label is above them) and leave room for the value."""
ALTEZZA_BARRA, RIGA_ETICHETTA, SPAZIO_GRUPPO, LEGENDA = 12, 14, 10, 26
CARATTERI_ETICHETTA = 48
"""A longer label is cut in the drawing (whole in its <desc> and in the table)."""


@dataclass(frozen=True)
class Segmento:
    """One bar of a horizontal chart: its box, its value written after it, its class."""

    y: float
    w: float
    valore: str
    classe: str


@dataclass(frozen=True)
class Gruppo:
    """One row of a horizontal chart: the label above, one or two bars below."""

    etichetta: str
    y_etichetta: float
    segmenti: list[Segmento]


@dataclass(frozen=True)
class GraficoBarre:
    larghezza: int
    altezza: int
    sinistra: int
    fine: float
    """x of a 100 % bar's end."""
    gruppi: list[Gruppo]
    legenda: list[tuple[str, str]]
    """(css class, text) of each series; empty for one series."""
    testo: str


@dataclass(frozen=True)
class GraficiCruscotto:
    per_branca: GraficoBarre
    per_sede: GraficoBarre
    peggiori: GraficoBarre
    andamento: Grafico


def _quota(valore: float | None) -> str:
    return percentuale(valore) if valore is not None else "nessuna prenotazione"


def barre(righe: list[dict[str, Any]], etichetta: str, serie: list[tuple[str, str, str]]
          ) -> GraficoBarre:
    """Horizontal bars of shares (0–1) on a 0–100 % scale: one group per row, one bar per
    series (`(column, css class, legend text)`); a missing share has no bar and says so."""
    lunghezza = LARGHEZZA_BARRE - SINISTRA_BARRE - SPAZIO_VALORE
    y = float(LEGENDA if len(serie) > 1 else 4)
    gruppi, frasi = [], []
    for r in righe:
        y_etichetta = y + RIGA_ETICHETTA - 2
        y += RIGA_ETICHETTA
        segmenti, parti = [], []
        for colonna, classe, nome in serie:
            valore = r[colonna]
            segmenti.append(Segmento(
                y=round(y, 1), w=round((valore or 0) * lunghezza, 1), valore=_quota(valore),
                classe=classe))
            parti.append(f"{nome} {_quota(valore)}" if len(serie) > 1 else _quota(valore))
            y += ALTEZZA_BARRA + 2
        testo = str(r[etichetta])
        if len(testo) > CARATTERI_ETICHETTA:
            testo = testo[:CARATTERI_ETICHETTA - 1].rstrip() + "…"
        gruppi.append(Gruppo(etichetta=testo, y_etichetta=round(y_etichetta, 1),
                             segmenti=segmenti))
        frasi.append(f"{r[etichetta]}: {', '.join(parti)}")
        y += SPAZIO_GRUPPO
    return GraficoBarre(
        larghezza=LARGHEZZA_BARRE, altezza=round(y + 2), sinistra=SINISTRA_BARRE,
        fine=SINISTRA_BARRE + lunghezza, gruppi=gruppi,
        legenda=[(classe, nome) for _, classe, nome in serie] if len(serie) > 1 else [],
        testo=("; ".join(frasi) + ".") if frasi else "Nessuna prenotazione in garanzia.")


def andamento(df: pl.DataFrame) -> Grafico:
    """The monthly trend of the share within target, as the public site's bar chart: a
    month without bookings keeps its label and has no bar."""
    righe = df.to_dicts()
    passo = (LARGHEZZA - MARGINE_SINISTRO - MARGINE_DESTRO) / max(len(righe), 1)
    base = ALTEZZA - MARGINE_BASSO
    scala = ALTEZZA - MARGINE_BASSO - MARGINE_ALTO
    barre_, frasi = [], []
    for i, r in enumerate(righe):
        x = MARGINE_SINISTRO + i * passo
        q = r["quota_entro_standard"]
        y = h = None
        if q is not None:
            y, h = round(base - q * scala, 1), round(q * scala, 1)
        frasi.append(f"{nome_mese(r['mese'])}: {_quota(q)}")
        barre_.append(Barra(x=round(x + passo * 0.15, 1), w=round(passo * 0.7, 1),
                            etichetta=MESI[int(r["mese"][5:]) - 1][:3],
                            xt=round(x + passo / 2, 1), y=y, h=h))
    return Grafico(larghezza=LARGHEZZA, altezza=ALTEZZA, base=base, sinistra=MARGINE_SINISTRO,
                   barre=barre_, massimo="100 %", y_linea=None, linea=None,
                   testo="; ".join(frasi) + ".")


def del_cruscotto(dati: Cruscotto) -> GraficiCruscotto:
    confronto = [("quota_entro_standard", "attuale", f"periodo {dati.periodo.etichetta}"),
                 ("quota_precedente", "precedente", f"precedente {dati.precedente.etichetta}")]
    sedi = dati.per_sede.with_columns(
        nome=pl.when(pl.col("sede").is_not_null() & (pl.col("sede") != pl.col("codice_sede")))
        .then(pl.col("codice_sede") + " · " + pl.col("sede")).otherwise(pl.col("codice_sede")))
    peggiori = dati.peggiori.with_columns(
        nome=pl.col("codice_prestazione") + " · " + pl.col("descrizione").fill_null(""))
    return GraficiCruscotto(
        per_branca=barre(dati.per_branca.to_dicts(), "branca", confronto),
        per_sede=barre(sedi.to_dicts(), "nome", confronto),
        peggiori=barre(peggiori.to_dicts(), "nome",
                       [("quota_entro_standard", "attuale", "quota")]),
        andamento=andamento(dati.andamento))
