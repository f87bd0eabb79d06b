"""The report tests' support: a small filled register (catalog, sites, wards, a synthetic
year, check) and a real SMTP server on loopback for the delivery."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from cup.ingest import ingest
from cup.synthetic import scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from registro.check import check
from registro.settings import Settings
from supporto.sito import anagrafiche


def riempi(engine: Engine, settings: Settings, cartella: Path, *, prenotazioni: int = 3000,
           ricoveri: int = 300) -> None:
    cartella.mkdir(parents=True, exist_ok=True)
    anagrafiche(engine, cartella)
    ingest(scrivi_csv(cartella / "cup.csv", rows=prenotazioni, seed=11, anno=2025),
           engine=engine, settings=settings)
    ingest(scrivi_csv_ricoveri(cartella / "ricoveri.csv", rows=ricoveri, seed=11, anno=2025),
           engine=engine, settings=settings, registro="ricoveri")
    check(engine=engine, settings=settings, oggi=date(2026, 1, 15))


# --- SMTP ------------------------------------------------------------------------------------

class Casella:
    """An SMTP handler that refuses the first `rifiuti` DATA commands with 451."""

    def __init__(self, rifiuti: int = 0) -> None:
        self.rifiuti = rifiuti
        self.tentativi = 0
        self.messaggi: list[EmailMessage] = []
        self.destinatari: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tentativi += 1
        if self.tentativi <= self.rifiuti:
            return "451 4.3.0 riprovare più tardi"
        self.messaggi.append(email.message_from_bytes(envelope.content, policy=default))
        self.destinatari.append(list(envelope.rcpt_tos))
        return "250 OK"


def porta_libera() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Casella, int, Controller]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, for one test."""
    casella = Casella()
    porta = porta_libera()
    controller = Controller(casella, hostname="127.0.0.1", port=porta)
    controller.start()
    yield casella, porta, controller
    controller.stop()


def con_smtp(settings: Settings, porta: int, **altro: Any) -> Settings:
    """The settings with delivery to the local server on `porta`, quick retries."""
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": porta, "smtp_tls": "none",
        "smtp_mittente": "registro@asl.example", "smtp_attesa_secondi": 0.01,
        "smtp_tentativi": 3, "smtp_timeout_secondi": 5.0,
        "destinatari_conferenza": ["sindaci@comuni.example", "presidente@conferenza.example"],
        "destinatari_osservatorio": ["osservatorio@regione.example"], **altro})
