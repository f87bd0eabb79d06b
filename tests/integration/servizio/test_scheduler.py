"""The scheduler: fire times, the database lock, misfire catch-up, inbox, list/run, SIGTERM."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, func
from sqlmodel import select
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from registro.db import make_engine, migrate, session_scope
from registro.models import Prenotazione
from registro.settings import Settings, load_settings
from servizio import scheduled

ROMA = ZoneInfo("Europe/Rome")


def _t(*a: int) -> datetime:
    return datetime(*a).replace(tzinfo=ROMA)  # type: ignore[arg-type]


@pytest.fixture
def conteggi(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[datetime]]:
    """Every job replaced by one that records when it ran."""
    fatti: dict[str, list[datetime]] = {k: [] for k in scheduled.LAVORI}

    def finto(job_id: str) -> Callable[[Engine, Settings, datetime], str]:
        def f(engine: Engine, settings: Settings, adesso: datetime) -> str:
            fatti[job_id].append(adesso)
            return "ok"
        return f

    for job_id, lav in list(scheduled.LAVORI.items()):
        monkeypatch.setitem(scheduled.LAVORI, job_id,
                            dataclasses.replace(lav, funzione=finto(job_id)))
    return fatti


def test_ogni_lavoro_scatta_alla_sua_ora(settings: Settings) -> None:
    attesi = {
        "ingest_inbox": [_t(2026, 1, 1, 0, 0), _t(2026, 1, 1, 0, 5)],
        "check_notturno": [_t(2026, 1, 1, 3, 0), _t(2026, 1, 2, 3, 0)],
        "report_direzione": [_t(2026, 1, 1, 6, 0), _t(2026, 2, 1, 6, 0)],
        "report_conferenza": [_t(2026, 1, 1, 6, 30), _t(2026, 7, 1, 6, 30)],
        "report_osservatorio": [_t(2026, 1, 1, 7, 0), _t(2026, 4, 1, 7, 0)],
    }
    for job_id, (primo, secondo) in attesi.items():
        trigger = scheduled.LAVORI[job_id].trigger(settings)
        t1 = trigger.get_next_fire_time(None, _t(2026, 1, 1))
        assert t1 == primo, job_id
        assert trigger.get_next_fire_time(t1, t1 + timedelta(microseconds=1)) == secondo
        assert scheduled.ultimo_scatto(trigger, secondo + timedelta(minutes=1)) == secondo
        assert scheduled.ultimo_scatto(trigger, secondo - timedelta(seconds=1)) == primo


def test_un_solo_run_per_scatto(engine: Engine, settings: Settings,
                                conteggi: dict[str, list[datetime]]) -> None:
    def run(adesso: datetime, chi: str) -> str | None:
        return scheduled.esegui_lavoro(engine=engine, settings=settings,
                                       job_id="report_direzione", adesso=adesso, chi=chi)

    assert run(_t(2026, 3, 1, 6, 0, 5), "A") == "ok"
    assert run(_t(2026, 3, 1, 6, 0, 6), "B") is None       # the other process: same fire time
    assert run(_t(2026, 3, 20, 12, 0), "A") is None        # still March's fire time
    assert run(_t(2026, 4, 1, 6, 1), "B") == "ok"          # April's
    assert len(conteggi["report_direzione"]) == 2
    # a running job (lease not expired) is not started twice, even by hand
    assert scheduled.reclama(engine, job_id="check_notturno", chi="A",
                             adesso=_t(2026, 4, 2, 3, 0), scatto=None,
                             lease=timedelta(hours=1))
    assert not scheduled.reclama(engine, job_id="check_notturno", chi="B",
                                 adesso=_t(2026, 4, 2, 3, 30), scatto=None,
                                 lease=timedelta(hours=1))
    assert scheduled.reclama(engine, job_id="check_notturno", chi="B",  # lease expired
                             adesso=_t(2026, 4, 2, 4, 1), scatto=None,
                             lease=timedelta(hours=1))


def _aspetta(condizione: Callable[[], bool], secondi: float = 15) -> None:
    fine = time.monotonic() + secondi
    while not condizione() and time.monotonic() < fine:
        time.sleep(0.05)


def test_misfire_recuperato_una_volta_al_riavvio(engine: Engine, settings: Settings,
                                                 conteggi: dict[str, list[datetime]]) -> None:
    primo = scheduled.crea_scheduler(engine=engine, settings=settings, chi="primo")
    primo.shutdown(wait=True)  # the service goes down…
    # …and stays down past three monthly fire times: the stored job is as it was left then
    passato = datetime.now(ROMA) - timedelta(days=95)
    store = SQLAlchemyJobStore(engine=engine)
    store.start(BackgroundScheduler(timezone=ROMA), "default")
    job = store.lookup_job("report_direzione")
    assert job is not None
    job._modify(next_run_time=passato)
    store.update_job(job)

    secondo = scheduled.crea_scheduler(engine=engine, settings=settings, chi="secondo")
    try:
        assert secondo.get_job("report_direzione").next_run_time == passato  # kept
        secondo.resume()
        _aspetta(lambda: len(conteggi["report_direzione"]) >= 1)
        time.sleep(1.0)
        assert len(conteggi["report_direzione"]) == 1
        assert secondo.get_job("report_direzione").next_run_time > datetime.now(ROMA)
    finally:
        secondo.shutdown(wait=True)


def test_due_scheduler_sullo_stesso_database(engine: Engine, settings: Settings,
                                             conteggi: dict[str, list[datetime]]) -> None:
    a = scheduled.crea_scheduler(engine=engine, settings=settings, chi="A")
    a.modify_job("report_osservatorio", next_run_time=datetime.now(ROMA) - timedelta(days=1))
    b = scheduled.crea_scheduler(engine=engine, settings=settings, chi="B")
    try:
        a.resume()
        b.resume()
        _aspetta(lambda: len(conteggi["report_osservatorio"]) >= 1)
        time.sleep(1.5)
        assert len(conteggi["report_osservatorio"]) == 1
    finally:
        a.shutdown(wait=True)
        b.shutdown(wait=True)


def test_inbox_acquisisce_e_rifiuta(engine: Engine, settings: Settings) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    inbox = Path(settings.data_dir) / "inbox"
    inbox.mkdir(parents=True)
    scrivi_export(inbox / "cup_marzo.csv", [riga("P1"), riga("P2"), riga("P3")])
    (inbox / "vuoto.csv").write_bytes(b"")
    (inbox / "in_arrivo.csv.part").write_text("a metà", encoding="utf-8")
    riga_esito = scheduled.esegui_lavoro(engine=engine, settings=settings,
                                         job_id="ingest_inbox", manuale=True)
    assert riga_esito == "1 file acquisiti, 1 rifiutati"
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Prenotazione)).one() == 3
    assert (inbox / "archivio" / "cup_marzo.csv").exists()
    assert not (inbox / "cup_marzo.csv").exists()
    assert (inbox / "rifiutati" / "vuoto.csv").exists()
    motivo = (inbox / "rifiutati" / "vuoto.csv.motivo.txt").read_text(encoding="utf-8")
    assert "vuoto.csv" in motivo and "rifiutato" in motivo
    assert (inbox / "in_arrivo.csv.part").exists()  # still being written: left alone


def test_list_e_run(engine: Engine, settings: Settings,
                    conteggi: dict[str, list[datetime]]) -> None:
    righe = scheduled.elenco(engine=engine, settings=settings, adesso=_t(2026, 5, 10))
    assert [r["id"] for r in righe] == list(scheduled.LAVORI)
    assert {r["id"]: r["prossima"] for r in righe}["report_conferenza"] == _t(2026, 7, 1, 6, 30)
    assert scheduled.esegui_lavoro(engine=engine, settings=settings,
                                   job_id="report_conferenza", manuale=True) == "ok"
    dopo = {r["id"]: r for r in scheduled.elenco(engine=engine, settings=settings)}
    assert dopo["report_conferenza"]["esito"] == "riuscito"
    assert not dopo["report_conferenza"]["in_corso"]
    from registro.errors import ErroreUtente

    with pytest.raises(ErroreUtente, match="lavoro sconosciuto"):
        scheduled.esegui_lavoro(engine=engine, settings=settings, job_id="nessuno",
                                manuale=True)


def test_sigterm_ferma_il_processo(tmp_path: Path) -> None:
    settings = load_settings(db_url=f"sqlite:///{tmp_path / 'r.db'}",
                             data_dir=tmp_path / "dati", chiave_pseudonimi="k")
    migrate(make_engine(settings.db_url))
    codice = (
        "from registro.db import make_engine; from registro.settings import load_settings;"
        "from servizio.scheduled import servi;"
        f"s = load_settings(db_url={settings.db_url!r}, data_dir={str(tmp_path / 'dati')!r},"
        " chiave_pseudonimi='k'); servi(engine=make_engine(s.db_url), settings=s)")
    proc = subprocess.Popen([sys.executable, "-c", codice], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        prima = proc.stdout.readline()
        assert "scheduler avviato" in prima, prima
        proc.terminate()  # SIGTERM
        resto, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, resto
    assert "scheduler fermato" in resto


@pytest.mark.npm
def test_il_lavoro_notturno_registra_check_e_sito_e_health_li_vede(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """The run names are one enumeration: what the nightly job writes is what /health reads
    (before, /health looked for "site", the CLI wrote "site build", the job wrote nothing)."""
    from fastapi.testclient import TestClient

    from registro.esecuzioni import Attivita
    from servizio.api.app import create_app

    importa_catalogo(catalogo_nazionale(), engine=engine)
    scrivi_export(tmp_path / "cup.csv", [riga("P1"), riga("P2")])
    from cup.ingest import ingest

    ingest(tmp_path / "cup.csv", engine=engine, settings=settings)
    s = settings.model_copy(update={"sito_out": tmp_path / "sito"})
    with TestClient(create_app(s)) as client:
        prima = client.get("/health").json()
        assert prima["ultimo_check"] is None and prima["ultima_costruzione_sito"] is None
        riga_esito = scheduled.esegui_lavoro(engine=engine, settings=s,
                                             job_id="check_notturno", manuale=True)
        assert riga_esito is not None and "sito in" in riga_esito
        dopo = client.get("/health").json()
    assert dopo["ultimo_check"] is not None and dopo["ultima_costruzione_sito"] is not None
    with engine.connect() as conn:
        from sqlalchemy import text

        fatte = {r[0] for r in conn.execute(text(
            "SELECT attivita FROM esecuzione WHERE stato = 'completata'"))}
    assert {Attivita.CHECK.value, Attivita.SITO.value} <= fatte
