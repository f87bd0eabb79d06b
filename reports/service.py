"""Run one report end to end: compute, archive as a new version, record, deliver.

Used by `registro report …` and by the scheduler's jobs alike. The run is in the task log
(`esecuzione`, activity `report_<tipo>`), its files in `report_run`; a failed delivery is
recorded there and raised (reports.consegna).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from registro.esecuzioni import Attivita, esecuzione
from registro.periodo import Periodo
from registro.settings import Settings
from reports import conferenza, direzione, osservatorio
from reports.archivio import EsitoReport, archivia
from reports.consegna import consegna


def esegui(*, engine: Engine, settings: Settings, tipo: str, periodo: str | None = None,
           al: date | None = None, out: Path | None = None, consegnare: bool = True
           ) -> tuple[EsitoReport, str]:
    """Returns the archived run and the delivery outcome (`non_richiesta` when no SMTP server
    or no recipients are configured, or when `consegnare` is false)."""
    if tipo == "direzione":
        giorno = al or date.today()
        etichetta = direzione.periodo_di(giorno).etichetta

        def genera(cartella: Path) -> list[Path]:
            return direzione.genera(engine=engine, settings=settings, al=giorno,
                                    cartella=cartella)
    elif tipo in ("conferenza", "osservatorio"):
        if periodo is None:
            raise ValueError("periodo richiesto")
        p = Periodo.parse(periodo)
        etichetta = p.etichetta
        modulo = conferenza if tipo == "conferenza" else osservatorio

        def genera(cartella: Path) -> list[Path]:
            return modulo.genera(engine=engine, settings=settings, periodo=p,
                                 cartella=cartella)
    else:
        raise ValueError(f"tipo di report sconosciuto: {tipo!r}")

    with esecuzione(engine, Attivita.report(tipo), etichetta) as run:
        esito = archivia(engine=engine, settings=settings, tipo=tipo, periodo=etichetta,
                         genera=genera, out=out)
        run.dettaglio = f"v{esito.versione} in {esito.cartella}"
    if not consegnare:
        return esito, "non_richiesta"
    return esito, consegna(esito, engine=engine, settings=settings)
