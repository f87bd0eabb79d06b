"""An upload from the console ingested in a background thread of the server, so that the
page can say "in corso" (and reload itself, no JavaScript) while the child process of
servizio.caricamento does the work. The thread owns the upload's private folder from the
moment the request hands it over, and removes it at the end; the job's row
(`caricamento_console`) says how it ended. A server stopped meanwhile leaves the row "in
corso" under a dead process id: the page then calls it interrupted (the ingest itself is
all or nothing)."""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from registro.errors import ErroreUtente
from servizio import caricamento
from servizio.console import caricamenti as cr
from servizio.console.service import Persona
from servizio.processo import ProcessoInterrotto

log = logging.getLogger(__name__)


def avvia(pila: ExitStack, *, engine: Any, settings: Any, path: Path, nome: str,
          mapping: Path | None, registro: str, persona: Persona) -> str:
    """Record the job and start it; `pila` (the upload's folder) is closed by the thread."""
    try:
        ident = cr.nuovo_lavoro(engine=engine, file=nome, registro=registro, persona=persona)
    except BaseException:
        pila.close()
        raise
    threading.Thread(target=_esegui, name=f"ingest-console-{ident[:8]}", daemon=True,
                     args=(pila, ident, engine, settings, path, nome, mapping, registro,
                           persona)).start()
    return ident


def _esegui(pila: ExitStack, ident: str, engine: Any, settings: Any, path: Path, nome: str,
            mapping: Path | None, registro: str, persona: Persona) -> None:
    with pila:
        try:
            esito = caricamento.carica(path, nome, engine=engine, settings=settings,
                                       mapping=mapping, registro=registro,
                                       utente=persona.nome, ruolo=persona.ruolo,
                                       azione="console ingest")
        except (ErroreUtente, ProcessoInterrotto) as exc:
            cr.concludi_lavoro(engine=engine, ident=ident, errore=str(exc))
        except Exception:
            log.exception("caricamento %s dalla console non riuscito", ident)
            cr.concludi_lavoro(engine=engine, ident=ident,
                               errore="errore interno durante il caricamento: nulla è stato "
                                      "scritto; il file si può caricare di nuovo")
        else:
            cr.concludi_lavoro(engine=engine, ident=ident,
                               ingest_run_id=int(esito["ingest_run_id"]))
