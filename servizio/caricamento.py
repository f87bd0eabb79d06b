"""The ingest of an uploaded export, as the API (`POST /ingest`) and the console
(`/console/ingest`) both run it: in a child process (servizio.processo), with the upload
limits of the settings, audited with the person's name. One path, so that the two doors
cannot drift apart in what they check or record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cup.ingest import ingest
from cup.readers import Limiti
from registro.audit import registra_audit
from registro.db import make_engine, transazione
from registro.errors import ErroreUtente, FileTroppoGrande, TroppoGrande
from servizio.processo import in_processo_separato

REGISTRI = ("prestazioni", "ricoveri")


def ingest_in_figlio(path: Path, db_url: str, settings: Any, mapping: Path | None,
                     registro: str, utente: str, limiti: Any) -> dict[str, Any]:
    """The ingest as the child process runs it (servizio.processo): its own engine."""
    engine = make_engine(db_url)
    try:
        return ingest(path, engine=engine, settings=settings, mapping=mapping,
                      registro=registro, utente=utente, limiti=limiti).as_dict()
    finally:
        engine.dispose()


def carica(path: Path, nome: str, *, engine: Any, settings: Any, mapping: Path | None,
           registro: str, utente: str, ruolo: str, azione: str) -> dict[str, Any]:
    """Ingest the uploaded `path` (received as `nome`) and audit it as `azione` by `utente`.

    Returns the summary of `registro ingest --json` with `file` = the uploaded name. An
    unreadable file raises ErroreUtente (too big: TroppoGrande) naming the uploaded file,
    never the temporary one on the server."""
    if registro not in REGISTRI:
        raise ErroreUtente(f"registro sconosciuto: {registro!r} "
                           f"(ammessi: {', '.join(REGISTRI)})")
    limiti = Limiti(settings.api_righe_massime_file,
                    settings.api_mb_massimi_decompressi * 1024 * 1024)
    try:
        esito = in_processo_separato(
            ingest_in_figlio, path, engine.url.render_as_string(hide_password=False),
            settings, mapping, registro, utente, limiti)
    except ErroreUtente as exc:
        # the message names the temporary file: name the uploaded one instead
        testo = str(exc).replace(str(path), nome)
        if mapping is not None:
            testo = testo.replace(str(mapping), "mapping")
        if isinstance(exc, FileTroppoGrande):
            raise TroppoGrande(testo + " (impostazioni api_righe_massime_file, "
                                       "api_mb_massimi_decompressi)") from exc
        raise ErroreUtente(testo) from exc
    esito["file"] = nome
    # The ingest commits its own transaction (ADBC bulk path): the audit row follows it.
    with transazione(engine) as session:
        registra_audit(
            session=session, utente=utente, ruolo=ruolo, azione=azione,
            risorsa="ingest_run", riferimento=str(esito["ingest_run_id"]), prima=None,
            dopo={**esito, "registro": registro})
    return esito
