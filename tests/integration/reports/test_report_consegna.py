# ruff: noqa: F811 — the SMTP fixture imported from supporto.report is an argument
"""Delivery by SMTP to a real server (aiosmtpd on 127.0.0.1): attachments, retry, failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import select
from supporto.report import Casella, con_smtp, porta_libera, riempi, server  # noqa: F401

from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.models import ReportRun
from registro.settings import Settings
from reports.service import esegui


def _run(engine: Engine, run_id: int) -> ReportRun:
    with session_scope(engine) as s:
        run = s.get(ReportRun, run_id)
        assert run is not None
        return run


def test_conferenza_arriva_con_gli_allegati(engine: Engine, settings: Settings, tmp_path: Path,
                                           server: tuple[Casella, int, Controller]) -> None:
    casella, porta, _ = server
    riempi(engine, settings, tmp_path / "dati_cup")
    s = con_smtp(settings, porta)
    esito, consegna = esegui(engine=engine, settings=s, tipo="conferenza", periodo="2025-H2")
    assert consegna == "consegnata"
    assert len(casella.messaggi) == 1
    msg = casella.messaggi[0]
    assert sorted(casella.destinatari[0]) == sorted(s.destinatari_conferenza)
    assert "2025-H2" in str(msg["Subject"])
    allegati = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert set(allegati) == {f.nome for f in esito.files}
    assert {"conferenza.pdf", "conferenza.html", "tempi_attesa.csv"} <= set(allegati)
    assert allegati["conferenza.pdf"][:5] == b"%PDF-"
    assert allegati["conferenza.pdf"] == (esito.cartella / "conferenza.pdf").read_bytes()
    run = _run(engine, esito.run_id)
    assert (run.consegna, run.tentativi, run.errore) == ("consegnata", 1, None)
    assert json.loads(run.destinatari or "[]") == s.destinatari_conferenza
    assert run.consegnato_il is not None


def test_rifiuta_poi_accetta_riprova(engine: Engine, settings: Settings, tmp_path: Path,
                                     server: tuple[Casella, int, Controller]) -> None:
    casella, porta, _ = server
    casella.rifiuti = 1
    attese: list[float] = []
    s = con_smtp(settings, porta)
    from reports.archivio import archivia
    from reports.consegna import consegna

    def genera(cartella: Path) -> list[Path]:
        (cartella / "osservatorio.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        return [cartella / "osservatorio.csv"]

    esito = archivia(engine=engine, settings=s, tipo="osservatorio", periodo="2025-Q4",
                     genera=genera)
    assert consegna(esito, engine=engine, settings=s, attendi=attese.append) == "consegnata"
    assert casella.tentativi == 2 and len(casella.messaggi) == 1
    assert attese == [0.01]
    run = _run(engine, esito.run_id)
    assert run.consegna == "consegnata" and run.tentativi == 2
    assert run.errore is not None and "451" in run.errore and "tentativo 1" in run.errore


def test_rifiuto_definitivo_registrato_e_segnalato(engine: Engine, settings: Settings,
                                                  server: tuple[Casella, int, Controller]
                                                  ) -> None:
    casella, porta, _ = server
    casella.rifiuti = 99
    s = con_smtp(settings, porta)
    with pytest.raises(ErroreUtente, match="fallita dopo 3 tentativi"):
        esegui(engine=engine, settings=s, tipo="osservatorio", periodo="2025-Q4")
    assert casella.tentativi == 3 and casella.messaggi == []
    with session_scope(engine) as sess:
        run = sess.exec(select(ReportRun)).one()
    assert (run.consegna, run.tentativi) == ("fallita", 3)
    assert run.errore is not None and run.errore.count("451") == 3
    assert Path(run.cartella, "osservatorio.csv").exists()  # archived all the same


def test_server_irraggiungibile(engine: Engine, settings: Settings) -> None:
    s = con_smtp(settings, porta_libera(), smtp_tentativi=2)
    with pytest.raises(ErroreUtente, match="fallita dopo 2 tentativi"):
        esegui(engine=engine, settings=s, tipo="osservatorio", periodo="2025-Q4")
    with session_scope(engine) as sess:
        assert sess.exec(select(ReportRun)).one().consegna == "fallita"


def test_senza_destinatari_non_richiesta(engine: Engine, settings: Settings) -> None:
    esito, consegna = esegui(engine=engine, settings=settings, tipo="osservatorio",
                             periodo="2025-Q4")
    assert consegna == "non_richiesta"
    assert _run(engine, esito.run_id).consegna == "non_richiesta"
