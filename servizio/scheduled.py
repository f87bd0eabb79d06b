"""`registro scheduler`: the periodic jobs, in one long-running process (APScheduler 3).

Jobs, with explicit ids, in a persistent SQLAlchemyJobStore in the register's own database
(table `apscheduler_jobs`), times in `scheduler_fuso` (default Europe/Rome):

- `ingest_inbox`: every `scheduler_inbox_minuti` minutes, files dropped in
  `<data_dir>/inbox/` (bookings) or `<data_dir>/inbox/ricoveri/` (planned admissions) are
  ingested, then moved to `inbox/archivio/`, or to `inbox/rifiutati/` with `<file>.motivo.txt`
  beside it when the file cannot be read at all. Names starting with `.` or ending in `.part`
  or `.tmp` are left alone: write there, then rename.
- `check_notturno`: every night at 03:00 (a time every day has, DST changes included),
  `registro check`, then the public site into `sito_out` (default `<data_dir>/sito`).
- `report_direzione`: the 1st of every month at 06:00, the pack as of the month's eve.
- `report_conferenza`: 1 January and 1 July at 06:30, the half-year just ended.
- `report_osservatorio`: the 1st of January, April, July, October at 07:00, the last quarter.

Misfires: `coalesce=True` and no grace limit, so a job whose time passed while the service was
down runs once when it comes back (its stored next run time is kept across restarts).

Two processes on one database: each firing claims its fire time in `job_lock` with one
conditional UPDATE (`ultimo_scatto < this fire time` and no unexpired lease); the process that
updates the row runs the job, any other skips it. A lease of `scheduler_lease_minuti` frees
the row if a process dies mid-job. `registro scheduler run JOB` takes the lease only.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from cup.ingest import ingest
from public_site.build import build_site
from registro.check import check
from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.esecuzioni import Attivita, esecuzione
from registro.models import JobLock
from registro.settings import Settings
from reports.calendario import ultimo_chiuso
from reports.service import esegui

log = logging.getLogger("registro.scheduler")

INIZIO_INTERVALLI = datetime(2000, 1, 3)
"""Fixed origin of the interval jobs: every process computes the same fire times."""


@dataclass(frozen=True)
class Lavoro:
    id: str
    descrizione: str
    funzione: Callable[[Engine, Settings, datetime], str]
    """(engine, settings, local time of the run) → one line of outcome."""
    trigger: Callable[[Settings], Any]


def _fuso(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.scheduler_fuso)


# --- the jobs ---------------------------------------------------------------------------

def ingest_inbox(engine: Engine, settings: Settings, adesso: datetime) -> str:
    """Ingest every file waiting in the inbox; move each to archivio/ or rifiutati/."""
    inbox = Path(settings.data_dir) / "inbox"
    archivio, rifiutati = inbox / "archivio", inbox / "rifiutati"
    for d in (inbox, inbox / "ricoveri", archivio, rifiutati):
        d.mkdir(parents=True, exist_ok=True)
    ok = ko = 0
    for registro, cartella in (("prestazioni", inbox), ("ricoveri", inbox / "ricoveri")):
        for path in sorted(p for p in cartella.iterdir() if p.is_file()
                           and not p.name.startswith(".")
                           and not p.name.endswith((".part", ".tmp"))):
            try:
                ingest(path, engine=engine, settings=settings, registro=registro,
                       utente="scheduler")
            except ErroreUtente as exc:
                dest = _sposta(path, rifiutati, adesso)
                dest.with_name(dest.name + ".motivo.txt").write_text(
                    f"{adesso:%Y-%m-%d %H:%M:%S} file rifiutato ({registro}): {exc}\n",
                    encoding="utf-8")
                ko += 1
                continue
            _sposta(path, archivio, adesso)
            ok += 1
    return f"{ok} file acquisiti, {ko} rifiutati"


def _sposta(path: Path, cartella: Path, adesso: datetime) -> Path:
    dest = cartella / path.name
    if dest.exists():
        dest = cartella / f"{adesso:%Y%m%d%H%M%S}-{path.name}"
    shutil.move(str(path), dest)
    return dest


def check_notturno(engine: Engine, settings: Settings, adesso: datetime) -> str:
    with esecuzione(engine, Attivita.CHECK) as run:
        esito = check(engine=engine, settings=settings, oggi=adesso.date())
        run.dettaglio = str(esito.as_dict())
    riga = f"check: {esito.superamenti} superamenti, {esito.sanzioni_emesse} sanzioni emesse"
    out = settings.sito_out or Path(settings.data_dir) / "sito"
    with esecuzione(engine, Attivita.SITO) as run:
        build_site(engine=engine, settings=settings, out=out, oggi=adesso.date())
        run.dettaglio = str(out)
    return riga + f"; sito in {out}"


def report_direzione(engine: Engine, settings: Settings, adesso: datetime) -> str:
    vigilia = adesso.date().replace(day=1) - timedelta(days=1)
    esito, consegna = esegui(engine=engine, settings=settings, tipo="direzione", al=vigilia)
    return f"direzione {esito.periodo} v{esito.versione}, consegna {consegna}"


def _report_periodo(tipo: str, mesi: int) -> Callable[[Engine, Settings, datetime], str]:
    def lavoro(engine: Engine, settings: Settings, adesso: datetime) -> str:
        periodo = ultimo_chiuso(mesi, adesso.date()).etichetta
        esito, consegna = esegui(engine=engine, settings=settings, tipo=tipo, periodo=periodo)
        return f"{tipo} {esito.periodo} v{esito.versione}, consegna {consegna}"
    lavoro.__name__ = f"report_{tipo}"
    return lavoro


def _cron(**campi: Any) -> Callable[[Settings], Any]:
    def trigger(settings: Settings) -> Any:
        return CronTrigger(timezone=_fuso(settings), **campi)
    return trigger


def _intervallo(settings: Settings) -> Any:
    fuso = _fuso(settings)
    return IntervalTrigger(minutes=settings.scheduler_inbox_minuti, timezone=fuso,
                           start_date=INIZIO_INTERVALLI.replace(tzinfo=fuso))


LAVORI: dict[str, Lavoro] = {lav.id: lav for lav in [
    Lavoro("ingest_inbox", "acquisizione dei file della cartella inbox", ingest_inbox,
           _intervallo),
    Lavoro("check_notturno", "verifica notturna e sito pubblico", check_notturno,
           _cron(hour=3, minute=0)),
    Lavoro("report_direzione", "pacchetto mensile del Direttore Sanitario", report_direzione,
           _cron(day=1, hour=6, minute=0)),
    Lavoro("report_conferenza", "relazione semestrale alla Conferenza dei Sindaci",
           _report_periodo("conferenza", 6), _cron(month="1,7", day=1, hour=6, minute=30)),
    Lavoro("report_osservatorio", "rilevazione trimestrale per l'Osservatorio regionale",
           _report_periodo("osservatorio", 3), _cron(month="1,4,7,10", day=1, hour=7)),
]}


# --- fire times and the database lock ----------------------------------------------------

def ultimo_scatto(trigger: Any, adesso: datetime) -> datetime | None:
    """The latest fire time of `trigger` at or before `adesso` (aware), or None."""
    if isinstance(trigger, IntervalTrigger):
        passi = (adesso - trigger.start_date) // trigger.interval
        return trigger.start_date + passi * trigger.interval if passi >= 0 else None
    ultimo = None
    t = trigger.get_next_fire_time(None, adesso - timedelta(days=400))
    while t is not None and t <= adesso:
        ultimo = t
        # from a second later, never from the fire time itself: around a DST change a
        # wall-clock time can map back onto the same instant and the search would not move
        t = trigger.get_next_fire_time(None, t + timedelta(seconds=1))
        if t is not None and t <= ultimo:
            t = trigger.get_next_fire_time(None, ultimo + timedelta(hours=1, seconds=1))
    return ultimo


def _locale(t: datetime) -> datetime:
    return t.replace(tzinfo=None)


def _assicura_righe(engine: Engine) -> None:
    with session_scope(engine) as s:
        presenti = {r.job_id for r in s.exec(select(JobLock)).all()}
        for job_id in LAVORI:
            if job_id not in presenti:
                s.add(JobLock(job_id=job_id))
        try:
            s.commit()
        except Exception:  # another process inserted them first
            s.rollback()


def reclama(engine: Engine, *, job_id: str, chi: str, adesso: datetime,
            scatto: datetime | None, lease: timedelta) -> bool:
    """Claim the run of `job_id` for fire time `scatto` (None: a manual run, lease only).
    True when this caller got it; one UPDATE in one transaction, so at most one caller does."""
    _assicura_righe(engine)
    adesso = _locale(adesso)
    condizioni: list[Any] = [
        col(JobLock.job_id) == job_id,
        or_(col(JobLock.scade_il).is_(None), col(JobLock.scade_il) < adesso)]
    valori: dict[str, Any] = {"preso_da": chi[:80], "scade_il": adesso + lease}
    if scatto is not None:
        scatto = _locale(scatto)
        condizioni.append(or_(col(JobLock.ultimo_scatto).is_(None),
                              col(JobLock.ultimo_scatto) < scatto))
        valori["ultimo_scatto"] = scatto
    with engine.begin() as conn:
        res = conn.execute(update(JobLock).where(*condizioni).values(**valori))
        return bool(res.rowcount == 1)


def rilascia(engine: Engine, *, job_id: str, chi: str, esito: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(JobLock).where(col(JobLock.job_id) == job_id,
                                           col(JobLock.preso_da) == chi[:80])
                     .values(scade_il=None, esito=esito, finito_il=datetime.now()))


def identita() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def esegui_lavoro(*, engine: Engine, settings: Settings, job_id: str,
                  adesso: datetime | None = None, chi: str | None = None,
                  manuale: bool = False) -> str | None:
    """Run `job_id` as the scheduler does at `adesso` (aware; default now): claim the latest
    fire time, run, release. Returns the outcome line, or None when another process has it
    (or already ran this fire time). `manuale`: run now whatever the calendar says."""
    if job_id not in LAVORI:
        raise ErroreUtente(f"lavoro sconosciuto: {job_id!r} (ammessi: {', '.join(LAVORI)})")
    lavoro = LAVORI[job_id]
    fuso = _fuso(settings)
    adesso = (adesso or datetime.now(fuso)).astimezone(fuso)
    chi = chi or identita()
    scatto = None if manuale else ultimo_scatto(lavoro.trigger(settings), adesso)
    if not manuale and scatto is None:
        return None
    lease = timedelta(minutes=settings.scheduler_lease_minuti)
    if not reclama(engine, job_id=job_id, chi=chi, adesso=adesso, scatto=scatto, lease=lease):
        log.info("%s: già in esecuzione o già eseguito altrove, saltato", job_id)
        return None
    try:
        riga = lavoro.funzione(engine, settings, _locale(adesso))
    except BaseException:
        rilascia(engine, job_id=job_id, chi=chi, esito="fallito")
        log.exception("%s: fallito", job_id)
        raise
    rilascia(engine, job_id=job_id, chi=chi, esito="riuscito")
    log.info("%s: %s", job_id, riga)
    return riga


# --- the APScheduler process ---------------------------------------------------------------

_CONTESTO: dict[str, Any] = {}
"""The running process's settings and engine: jobs in the store name only their id, so no
setting (and no SMTP password) is ever pickled into the database."""


def _lancia(job_id: str) -> str | None:
    return esegui_lavoro(engine=_CONTESTO["engine"], settings=_CONTESTO["settings"],
                         job_id=job_id, chi=_CONTESTO.get("chi"))


def crea_scheduler(*, engine: Engine, settings: Settings, chi: str | None = None) -> Any:
    """A started-but-paused BackgroundScheduler with every job in the persistent store.

    A job already stored with the same trigger keeps its next run time, so a run missed
    while the service was down is caught up (once) on `resume()`."""
    _CONTESTO.update(engine=engine, settings=settings, chi=chi or identita())
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=_fuso(settings))
    scheduler.start(paused=True)
    for lavoro in LAVORI.values():
        trigger = lavoro.trigger(settings)
        esistente = scheduler.get_job(lavoro.id)
        extra: dict[str, Any] = {}
        if esistente is not None and str(esistente.trigger) == str(trigger) \
                and esistente.next_run_time is not None:
            extra["next_run_time"] = esistente.next_run_time
        scheduler.add_job(f"{__name__}:_lancia", trigger=trigger, args=[lavoro.id],
                          id=lavoro.id, name=lavoro.descrizione, replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=None, **extra)
    return scheduler


def elenco(*, engine: Engine, settings: Settings, adesso: datetime | None = None
           ) -> list[dict[str, Any]]:
    """Each job: id, description, trigger, next run, last fire time claimed, the outcome and
    end of its last run (manual runs included)."""
    fuso = _fuso(settings)
    adesso = (adesso or datetime.now(fuso)).astimezone(fuso)
    with session_scope(engine) as s:
        stato = {r.job_id: r for r in s.exec(select(JobLock)).all()}
    righe = []
    for lavoro in LAVORI.values():
        trigger = lavoro.trigger(settings)
        r = stato.get(lavoro.id)
        righe.append({
            "id": lavoro.id, "descrizione": lavoro.descrizione, "quando": str(trigger),
            "prossima": trigger.get_next_fire_time(None, adesso),
            "ultimo_scatto": r.ultimo_scatto if r else None,
            "esito": r.esito if r else None,
            "finito_il": r.finito_il if r else None,
            "in_corso": bool(r and r.scade_il and r.scade_il > _locale(adesso)),
        })
    return righe


def servi(*, engine: Engine, settings: Settings, ferma: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `ferma` is set); running jobs are let finish."""
    ferma = ferma or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: ferma.set())
    scheduler = crea_scheduler(engine=engine, settings=settings)
    scheduler.resume()
    print(f"scheduler avviato ({identita()}): {', '.join(LAVORI)}", flush=True)
    try:
        ferma.wait()
    finally:
        scheduler.shutdown(wait=True)
        print("scheduler fermato", flush=True)
