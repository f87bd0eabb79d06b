"""The reports page's work: the archive as `reports.archivio` recorded it (a file is served
only when its run lists it by name, so no name typed in a URL reaches the disk), the
scheduler's jobs as `servizio.scheduled` defines them with their last outcome, the run log,
and a job run at once by a person, audited before and after."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registro.audit import registra_audit
from registro.db import transazione
from registro.errors import ErroreUtente
from registro.models import Esecuzione, ReportRun
from registro.settings import Settings
from servizio import scheduled
from servizio.console.service import Persona

log = logging.getLogger("registro.console")

ULTIME_ESECUZIONI = 20


@dataclass(frozen=True)
class FileArchiviato:
    nome: str
    byte: int
    sha256: str


@dataclass(frozen=True)
class Versione:
    id: int
    tipo: str
    periodo: str
    versione: int
    creato_il: datetime
    files: list[FileArchiviato]


def _files(run: ReportRun) -> list[FileArchiviato]:
    try:
        voci = json.loads(run.files)
    except ValueError:
        return []
    return [FileArchiviato(str(v["nome"]), int(v["byte"]), str(v["sha256"])) for v in voci]


def archivio(*, session: Session) -> list[Versione]:
    """Every archived run, the newest first."""
    righe = session.exec(select(ReportRun).order_by(col(ReportRun.id).desc())).all()
    return [Versione(id=r.id or 0, tipo=r.tipo, periodo=r.periodo, versione=r.versione,
                     creato_il=r.creato_il, files=_files(r)) for r in righe]


def file_archiviato(*, session: Session, settings: Settings, run_id: int, nome: str
                    ) -> Path | None:
    """The archived file `nome` of run `run_id`, or None: the name must be one the run
    recorded, and the file must lie in the run's folder under the report archive."""
    run = session.get(ReportRun, run_id)
    if run is None or nome not in {f.nome for f in _files(run)}:
        return None
    radice = (Path(settings.data_dir) / "report").resolve()
    cartella = Path(run.cartella).resolve()
    percorso = (cartella / nome).resolve()
    if not percorso.is_relative_to(radice) or percorso.parent != cartella \
            or not percorso.is_file():
        return None
    return percorso


def lavori(*, engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    """The scheduler's jobs: when they run next, the last fire time and its outcome."""
    return scheduled.elenco(engine=engine, settings=settings)


def esecuzioni(*, session: Session, quante: int = ULTIME_ESECUZIONI) -> list[Esecuzione]:
    """The run log's latest rows (check, site, reports), the newest first."""
    return list(session.exec(select(Esecuzione).order_by(col(Esecuzione.id).desc())
                             .limit(quante)).all())


@dataclass(frozen=True)
class Esito:
    job_id: str
    riuscito: bool
    riga: str


def esegui_ora(*, engine: Engine, settings: Settings, persona: Persona, job_id: str) -> Esito:
    """Run `job_id` now, in this request (the scheduler's own claim, so a run already going
    elsewhere is not doubled). Audited when asked and with its outcome."""
    if job_id not in scheduled.LAVORI:
        raise ErroreUtente(f"lavoro sconosciuto: {job_id!r}")
    with transazione(engine) as session:
        registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                       azione="console esegui lavoro", risorsa="lavoro", riferimento=job_id,
                       prima=None, dopo={"richiesto_il": datetime.now().isoformat()})
    try:
        riga = scheduled.esegui_lavoro(engine=engine, settings=settings, job_id=job_id,
                                       chi=f"console:{persona.nome}", manuale=True)
    except Exception as exc:  # the job's own failure is the outcome shown, not a 500
        log.exception("%s: esecuzione dalla console fallita", job_id)
        esito = Esito(job_id, False, f"non riuscito: {type(exc).__name__}: {exc}"[:500])
    else:
        esito = (Esito(job_id, False, "già in esecuzione altrove: non avviato di nuovo")
                 if riga is None else Esito(job_id, True, riga))
    with transazione(engine) as session:
        registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                       azione="console esito lavoro", risorsa="lavoro", riferimento=job_id,
                       prima=None, dopo={"riuscito": esito.riuscito, "esito": esito.riga})
    return esito
