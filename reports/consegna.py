"""SMTP delivery of an archived report run, with retries; the outcome always lands in `report_run`.

Settings: `smtp_host`, `smtp_port`, `smtp_user`/`smtp_password` (login when both are set),
`smtp_tls` (`starttls`, `ssl` or `none`), `smtp_mittente`, recipients per kind
(`destinatari_conferenza`, `destinatari_osservatorio`, `destinatari_direzione`),
`smtp_tentativi` attempts with a wait of `smtp_attesa_secondi` doubled after each failure.
A delivery that still fails after the last attempt is recorded as `fallita` with its error and
raised as ErroreUtente: never silently dropped.
"""

from __future__ import annotations

import json
import mimetypes
import smtplib
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import Engine

from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.models import ReportRun
from registro.settings import Settings
from reports.archivio import EsitoReport

TITOLI = {
    "conferenza": "Relazione alla Conferenza dei Sindaci sui tempi di attesa",
    "osservatorio": "Rilevazione dei tempi di attesa per l'Osservatorio regionale",
    "direzione": "Pacchetto mensile di monitoraggio per il Direttore Sanitario",
}


def destinatari(settings: Settings, tipo: str) -> list[str]:
    return list(getattr(settings, f"destinatari_{tipo}", []) or [])


def messaggio(esito: EsitoReport, *, settings: Settings, a: list[str]) -> EmailMessage:
    msg = EmailMessage()
    titolo = TITOLI.get(esito.tipo, esito.tipo)
    msg["Subject"] = f"{settings.ente} — {titolo}, periodo {esito.periodo} (v{esito.versione})"
    msg["From"] = settings.smtp_mittente
    msg["To"] = ", ".join(a)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="registro")
    elenco = "\n".join(f"- {f.nome} (SHA-256 {f.sha256})" for f in esito.files)
    msg.set_content(
        f"{titolo}\n{settings.ente}, periodo {esito.periodo}, versione {esito.versione}.\n\n"
        f"In allegato:\n{elenco}\n\nMessaggio generato automaticamente da registro: "
        "contiene solo dati aggregati.\n")
    for f, path in zip(esito.files, esito.percorsi(), strict=True):
        tipo_mime, _ = mimetypes.guess_type(f.nome)
        principale, secondario = (tipo_mime or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=principale, subtype=secondario,
                           filename=f.nome)
    return msg


def _invia(msg: EmailMessage, settings: Settings) -> None:
    assert settings.smtp_host
    timeout = settings.smtp_timeout_secondi
    smtp: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)


def _registra(engine: Engine, run_id: int, **campi: object) -> None:
    with session_scope(engine) as s:
        run = s.get(ReportRun, run_id)
        assert run is not None
        for k, v in campi.items():
            setattr(run, k, v)
        s.commit()


def consegna(esito: EsitoReport, *, engine: Engine, settings: Settings,
             attendi: Callable[[float], None] = time.sleep) -> str:
    """Send the run's files to the kind's recipients; returns the outcome recorded
    (`non_richiesta` when no server or no recipients are configured, or `consegnata`).
    Raises ErroreUtente after recording `fallita`."""
    a = destinatari(settings, esito.tipo)
    if not settings.smtp_host or not a:
        _registra(engine, esito.run_id, consegna="non_richiesta", destinatari=json.dumps(a))
        return "non_richiesta"
    _registra(engine, esito.run_id, consegna="in_corso", destinatari=json.dumps(a))
    msg = messaggio(esito, settings=settings, a=a)
    errori: list[str] = []
    for tentativo in range(1, settings.smtp_tentativi + 1):
        try:
            _invia(msg, settings)
        except (smtplib.SMTPException, OSError) as exc:
            errori.append(f"tentativo {tentativo}: {type(exc).__name__}: {exc}")
            _registra(engine, esito.run_id, tentativi=tentativo, errore="\n".join(errori))
            if tentativo < settings.smtp_tentativi:
                attendi(settings.smtp_attesa_secondi * 2 ** (tentativo - 1))
            continue
        _registra(engine, esito.run_id, consegna="consegnata", tentativi=tentativo,
                  consegnato_il=datetime.now(), errore="\n".join(errori) or None)
        return "consegnata"
    _registra(engine, esito.run_id, consegna="fallita")
    raise ErroreUtente(
        f"consegna del report {esito.tipo} {esito.periodo} v{esito.versione} fallita dopo "
        f"{settings.smtp_tentativi} tentativi ({errori[-1]}); il report è archiviato in "
        f"{esito.cartella}")
