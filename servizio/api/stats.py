"""`/stats` and `/monitoring`: the same tables as `registro stats` and `registro monitoring`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from registro import colonnare
from registro.letture import leggi_ricoveri
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.monitoring import calcola_lista
from reports.stats import COLONNE, COLONNE_LETTE, tabella_prestazioni
from reports.stats_ricoveri import COLONNE_RICOVERI, tabella_ricoveri
from servizio.api.deps import EngineDep, Lettore, SettingsDep
from servizio.api.errori import risposte
from servizio.api.models import (
    Pagina,
    RigaMonitoraggio,
    RigaStatsPrestazioni,
    RigaStatsRicoveri,
)
from servizio.api.parametri import MAX_PER_PAGINA, GiornoIso, periodo_richiesto
from servizio.api.service import ultimo_ingest

router = APIRouter(tags=["statistiche"], responses=risposte(401, 403, 422))

CACHE_SECONDI = 60.0
"""A computed table is reused for this long, and only while no ingest has finished since."""


class CacheTabelle:
    """Computed tables by (query, last ingest); one computation per key at a time, so a burst
    of identical requests reads the register once. Lives on `app.state`, per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voci: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = {}
        self._calcolo: dict[tuple[Any, ...], threading.Lock] = {}

    def prendi(self, chiave: tuple[Any, ...], calcola: Callable[[], list[dict[str, Any]]]
               ) -> list[dict[str, Any]]:
        with self._lock:
            lock = self._calcolo.setdefault(chiave, threading.Lock())
        with lock:
            voce = self._voci.get(chiave)
            if voce is not None and time.monotonic() - voce[0] < CACHE_SECONDI:
                return voce[1]
            righe = calcola()
            with self._lock:
                self._voci = {k: v for k, v in self._voci.items()
                              if time.monotonic() - v[0] < CACHE_SECONDI}
                self._voci[chiave] = (time.monotonic(), righe)
            return righe


def tabella(*, engine: Engine, settings: Settings, period: str, registro: str,
            profilo: str | None, lettura: str) -> list[dict[str, Any]]:
    """The rows `registro stats --format json` writes, computed the same way."""
    periodo = Periodo.parse(period)
    prof = carica_profilo(profilo or settings.profilo, settings.standard_locali)
    if registro == "ricoveri":
        lista = leggi_ricoveri(engine).lazy()
        df = tabella_ricoveri(lista, profilo=prof, periodo=periodo,
                              fuori_ordine=fuori_ordine(lista)).select(COLONNE_RICOVERI)
    else:
        df = tabella_prestazioni(colonnare.prenotazioni(engine, settings,
                                                        codici_categorici=True,
                                                        colonne=COLONNE_LETTE),
                                 profilo=prof, periodo=periodo,
                                 lettura="ex_post" if lettura == "ex_post" else "ex_ante",
                                 ).select(COLONNE)
    return df.to_dicts()


@router.get("/stats", response_model=list[RigaStatsPrestazioni] | list[RigaStatsRicoveri],
            summary="Tabella dei tempi di attesa")
async def stats(
    request: Request,
    _utente: Lettore,
    engine: EngineDep,
    settings: SettingsDep,
    period: Annotated[str, Depends(periodo_richiesto)],
    registro: Annotated[Literal["prestazioni", "ricoveri"], Query(
        description="prestazioni (per prestazione e sede) o ricoveri (per reparto, "
                    "patologia e classe).")] = "prestazioni",
    profilo: Annotated[Literal["carta1995", "pngla"] | None, Query(
        description="Profilo degli standard (predefinito: l'impostazione).")] = None,
    lettura: Annotated[Literal["ex_ante", "ex_post"], Query(
        description="ex_ante (per data di prenotazione) o ex_post (erogate, per data di "
                    "erogazione); solo per le prestazioni.")] = "ex_ante",
) -> list[dict[str, Any]]:
    """Le stesse righe di `registro stats --format json`: attesa media, mediana, 90°
    percentile e quota entro lo standard per gruppo, sulle prenotazioni in garanzia."""
    def calcola() -> list[dict[str, Any]]:
        return tabella(engine=engine, settings=settings, period=period, registro=registro,
                       profilo=profilo, lettura=lettura)

    def con_cache() -> list[dict[str, Any]]:
        chiave = (period, registro, profilo, lettura, ultimo_ingest(engine=engine))
        cache: CacheTabelle = request.app.state.cache_tabelle
        return cache.prendi(chiave, calcola)

    return await run_in_threadpool(con_cache)


@router.get("/monitoring",
            response_model=Pagina[RigaMonitoraggio] | list[RigaMonitoraggio],
            summary="Lista di monitoraggio del Direttore Sanitario")
async def monitoring(
    _utente: Lettore,
    engine: EngineDep,
    settings: SettingsDep,
    al: Annotated[GiornoIso | None, Query(
        description="Data di riferimento (predefinita: oggi).")] = None,
    includi_motivati: Annotated[bool, Query(
        description="Includi anche le voci già motivate (motivato=true).")] = False,
    pagina: Annotated[int | None, Query(
        ge=1, le=1_000_000, description="Numero di pagina, da 1 (predefinito 1). Con "
                                        "`pagina` o `per_pagina` la risposta è una pagina "
                                        "(`totale`, `pagina`, `per_pagina`, `elementi`).")
    ] = None,
    per_pagina: Annotated[int | None, Query(
        ge=1, le=MAX_PER_PAGINA, description="Elementi per pagina (predefinito 50, massimo "
                                             "500).")] = None,
) -> Pagina[RigaMonitoraggio] | list[dict[str, Any]]:
    """Le stesse righe di `registro monitoring`: superamenti e ricoveri fuori ordine senza
    motivazione, ricoveri in scadenza; i più urgenti per primi.

    Con `pagina` o `per_pagina` risponde una pagina come `/prenotazioni`; senza, l'elenco
    intero (la forma delle versioni precedenti, mantenuta per compatibilità: può essere di
    decine di MB, da non usare nei nuovi client)."""
    lista = await run_in_threadpool(calcola_lista, engine=engine, settings=settings,
                                    oggi=al or date.today(), includi_motivati=includi_motivati)
    if pagina is None and per_pagina is None:
        return lista.to_dicts()
    numero, quanti = pagina or 1, per_pagina or 50
    righe = lista.slice((numero - 1) * quanti, quanti).to_dicts()
    return Pagina[RigaMonitoraggio](
        totale=lista.height, pagina=numero, per_pagina=quanti,
        elementi=[RigaMonitoraggio.model_validate(r) for r in righe])
