"""A child process for the work a server must not do in its own: the ingest behind
`POST /ingest`.

The API answers many requests at once, in threads, through the ORM (Python's `sqlite3`);
an ingest writes through the ADBC driver's SQLite for seconds or minutes. In the server's
process the two libraries would take turns on the register file (`registro.db`, "one SQLite
library at a time"), so every reader would wait for the upload; and a crash inside a native
library would take the server down with it. In a process of its own the ingest is exactly
`registro ingest`: one process, one library at a time, the register's write lock against
every other process, and a crash loses that upload only (all or nothing).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from registro.errors import ErroreUtente

T = TypeVar("T")


class ProcessoInterrotto(RuntimeError):
    """The child died (killed, out of memory, a crash in a native library)."""


def in_processo_separato(funzione: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Run `funzione(*args, **kwargs)` in a fresh child process and return its result; its
    exceptions come back as themselves (an ErroreUtente stays one). `spawn`, never `fork`:
    a forked child would inherit the server's threads' locks and open descriptors of the
    register."""
    contesto = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=contesto) as esecutore:
        futuro = esecutore.submit(funzione, *args, **kwargs)
        try:
            return futuro.result()
        except BrokenProcessPool as exc:
            raise ProcessoInterrotto("il processo di lavoro si è interrotto: nulla è stato "
                                     "scritto, il caricamento si può ripetere") from exc


__all__ = ["ErroreUtente", "ProcessoInterrotto", "in_processo_separato"]
