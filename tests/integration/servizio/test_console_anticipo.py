"""`registro serve` keeps the console's list computed ahead of requests: after an ingest run
by another process (the nightly job), the server computes the new list by itself, so the
first person to open the console does not wait for it; and the thread ends with the
server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.console_sintetico import registro_sintetico  # noqa: F401
from supporto.prenotazioni import riga, scrivi_export

from cup.ingest import ingest
from registro.settings import Settings
from servizio.api.app import create_app


def _aspetta(condizione: Callable[[], bool], secondi: float = 60) -> None:
    fine = time.monotonic() + secondi
    while not condizione():
        assert time.monotonic() < fine, "il server non ha calcolato la lista da solo"
        time.sleep(0.05)


def _ids(app: object) -> set[str]:
    stato = app.state.lista_monitoraggio._stato  # type: ignore[attr-defined]
    return set(stato.completa["id"].to_list()) if stato is not None else set()


def test_the_server_computes_the_list_before_anyone_asks(
        registro_sintetico: Engine, settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    settings = settings.model_copy(update={"console_anticipo_secondi": 0.2})
    app = create_app(settings, anticipa=True)
    with TestClient(app):
        # no request at all: the list is there
        _aspetta(lambda: getattr(app.state, "lista_monitoraggio", None) is not None
                 and app.state.lista_monitoraggio._stato is not None)
        prima = _ids(app)
        assert prima

        # another process ingests a booking past its target: the server sees it alone
        ingest(scrivi_export(tmp_path / "notte.csv", [
            riga("NOTTE-1", data_prenotazione="2025-12-01T10:00",
                 data_appuntamento="2025-12-29T09:00", classe_priorita="D")]),
            engine=registro_sintetico, settings=settings)
        _aspetta(lambda: "NOTTE-1" in _ids(app))
        assert prima < _ids(app)
        filo = [t for t in threading.enumerate() if t.name == "console-anticipo"]
        assert len(filo) == 1
    assert not filo[0].is_alive()   # stopped with the server


def test_without_anticipa_nothing_runs_in_the_background(
        registro_sintetico: Engine, settings: Settings) -> None:  # noqa: F811
    app = create_app(settings)
    with TestClient(app):
        time.sleep(0.5)
        assert getattr(app.state, "lista_monitoraggio", None) is None
