"""Every report run is recorded and archived: a `report_run` row and a version folder
`<data_dir>/report/<tipo>/<periodo>/v<N>/`.

A report is built into a scratch folder next to the archive, then renamed to the next free
version (never overwriting: re-running a period makes v<N+1> and keeps v<N>), its files'
SHA-256 recorded in the same step, and copied to the operator's `--out` folder if given.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import select

from registro.checksum import sha256_file
from registro.db import session_scope
from registro.models import ReportRun
from registro.settings import Settings

TIPI = ("conferenza", "osservatorio", "direzione")


@dataclass(frozen=True)
class FileReport:
    nome: str
    sha256: str
    byte: int


@dataclass
class EsitoReport:
    run_id: int
    tipo: str
    periodo: str
    versione: int
    cartella: Path
    files: list[FileReport]
    copia_in: Path | None = None

    def percorsi(self) -> list[Path]:
        return [self.cartella / f.nome for f in self.files]


def cartella_periodo(settings: Settings, tipo: str, periodo: str) -> Path:
    return Path(settings.data_dir) / "report" / tipo / periodo


def archivia(*, engine: Engine, settings: Settings, tipo: str, periodo: str,
             genera: Callable[[Path], list[Path]], out: Path | None = None) -> EsitoReport:
    """Run `genera(folder)` (it writes the report's files into `folder` and returns them),
    archive the result as the next version of (tipo, periodo), record it, copy it to `out`."""
    if tipo not in TIPI:
        raise ValueError(f"tipo di report sconosciuto: {tipo!r}")
    base = cartella_periodo(settings, tipo, periodo)
    base.mkdir(parents=True, exist_ok=True)
    lavoro = Path(tempfile.mkdtemp(prefix=".in_corso-", dir=base))
    try:
        prodotti = genera(lavoro)
        files = [FileReport(p.name, sha256_file(p), p.stat().st_size) for p in sorted(prodotti)]
        with session_scope(engine) as s:
            ultima = s.exec(select(func.max(ReportRun.versione)).where(
                ReportRun.tipo == tipo, ReportRun.periodo == periodo)).one()
            versione = max(int(ultima or 0), _ultima_cartella(base)) + 1
            cartella = base / f"v{versione}"
            lavoro.rename(cartella)  # fails rather than overwrite an existing version
            run = ReportRun(tipo=tipo, periodo=periodo, versione=versione,
                            creato_il=datetime.now(), cartella=str(cartella),
                            files=json.dumps([f.__dict__ for f in files]))
            s.add(run)
            s.commit()
            s.refresh(run)
            assert run.id is not None
    finally:
        if lavoro.exists():
            shutil.rmtree(lavoro, ignore_errors=True)
    esito = EsitoReport(run_id=run.id, tipo=tipo, periodo=periodo, versione=versione,
                        cartella=cartella, files=files)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for p in esito.percorsi():
            shutil.copy2(p, out / p.name)
        esito.copia_in = out
    return esito


def _ultima_cartella(base: Path) -> int:
    """The highest v<N> already on disk (a folder left by a run whose row was lost)."""
    numeri = [int(p.name[1:]) for p in base.glob("v*") if p.name[1:].isdigit()]
    return max(numeri, default=0)


def runs(engine: Engine, tipo: str | None = None) -> list[ReportRun]:
    with session_scope(engine) as s:
        q = select(ReportRun).order_by(ReportRun.id)  # type: ignore[arg-type]
        if tipo:
            q = q.where(ReportRun.tipo == tipo)
        return list(s.exec(q).all())
