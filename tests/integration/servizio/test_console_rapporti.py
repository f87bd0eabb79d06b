"""The console's reports page: the archive listed with its files and their download (a name
the run did not record, `../` included, is a 404), the scheduled jobs, "esegui ora" by the
Direzione makes a new archived version and is audited; the other roles get 403."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine
from supporto.api import (  # noqa: F401
    registro_api,
)
from supporto.console import (  # noqa: F401
    cliente,
    csrf,
    persone,
    senza_pausa,
)
from supporto.tutela import audit

from registro.settings import Settings
from reports.service import esegui
from servizio import scheduled
from servizio.scheduled import LAVORI


def _collegamenti(html: str) -> list[str]:
    return re.findall(r'href="(/console/rapporti/archivio/[^"]+)"', html)


def test_archive_listing_and_download(cliente: Callable[[str], TestClient],
                                      registro_api: Engine, settings: Settings) -> None:
    esito, _ = esegui(engine=registro_api, settings=settings, tipo="direzione",
                      al=date.today() - timedelta(days=1), consegnare=False)
    c = cliente("direzione")
    pagina = c.get("/console/rapporti")
    assert pagina.status_code == 200
    assert f"direzione {esito.periodo}, versione 1" in pagina.text
    for lavoro in LAVORI.values():
        assert str(escape(lavoro.descrizione)) in pagina.text
    link = _collegamenti(pagina.text)
    assert {u.rsplit("/", 1)[1] for u in link} == {f.nome for f in esito.files}
    scaricato = c.get(link[0])
    assert scaricato.status_code == 200
    nome = link[0].rsplit("/", 1)[1]
    assert scaricato.content == (esito.cartella / nome).read_bytes()
    assert nome in scaricato.headers["content-disposition"]
    # a secret beside the archive stays where it is
    (Path(settings.data_dir) / "segreto.txt").write_text("non scaricabile", encoding="utf-8")
    base = f"/console/rapporti/archivio/{esito.run_id}/"
    for nome_cattivo in ("..%2F..%2F..%2Fsegreto.txt", "../../../segreto.txt",
                         "%2e%2e/%2e%2e/%2e%2e/segreto.txt", "inesistente.csv",
                         f"..%2Fv1%2F{nome}"):
        r = c.get(base + nome_cattivo)
        assert r.status_code == 404, nome_cattivo
        assert "non scaricabile" not in r.text
    assert c.get(f"/console/rapporti/archivio/999/{nome}").status_code == 404
    r = c.get(f"/console/rapporti/archivio/..%2F1/{nome}")
    assert r.status_code == 404 and "File non trovato" in r.text


def test_run_now_as_direzione(cliente: Callable[[str], TestClient], registro_api: Engine,
                              settings: Settings) -> None:
    c = cliente("direzione")
    pagina = c.get("/console/rapporti")
    assert "L'archivio è vuoto" in pagina.text and "Esegui ora" in pagina.text
    r = c.post("/console/rapporti/esegui",
               data={"csrf": csrf(pagina.text), "lavoro": "report_direzione"})
    assert r.status_code == 200
    assert "report_direzione: eseguito." in r.text
    archiviati = list((Path(settings.data_dir) / "report" / "direzione").glob("*/v1/*"))
    assert archiviati, "nessun file archiviato"
    assert set(_collegamenti(r.text)) and "versione 1" in r.text
    assert "riuscito" in r.text  # the job's last outcome in the table
    # again: a second version, the first kept
    r = c.post("/console/rapporti/esegui",
               data={"csrf": csrf(r.text), "lavoro": "report_direzione"})
    assert "versione 2" in r.text and "versione 1" in r.text
    righe = [a for a in audit(registro_api) if a.risorsa == "lavoro"]
    assert [(a.utente, a.azione) for a in righe] == [
        ("p-direzione", "console esegui lavoro"), ("p-direzione", "console esito lavoro")] * 2
    assert json.loads(righe[1].dopo or "{}")["riuscito"] is True
    # an unknown job: 422, nothing run
    r = c.post("/console/rapporti/esegui", data={"csrf": csrf(r.text), "lavoro": "rm -rf"})
    assert r.status_code == 422 and "lavoro sconosciuto" in r.text
    # no CSRF token: 403, nothing run
    r = c.post("/console/rapporti/esegui", data={"lavoro": "report_direzione"})
    assert r.status_code == 403
    assert len([a for a in audit(registro_api) if a.risorsa == "lavoro"]) == 4


def test_other_roles_get_403(cliente: Callable[[str], TestClient], registro_api: Engine,
                             settings: Settings) -> None:
    esito, _ = esegui(engine=registro_api, settings=settings, tipo="direzione",
                      al=date.today() - timedelta(days=1), consegnare=False)
    for ruolo in ("cup", "upt", "lettura"):
        c = cliente(ruolo)
        assert c.get("/console/rapporti").status_code == 403
        assert c.get(f"/console/rapporti/archivio/{esito.run_id}/"
                     f"{esito.files[0].nome}").status_code == 403
        r = c.post("/console/rapporti/esegui", data={"csrf": csrf(c.get("/console/").text),
                                                     "lavoro": "report_direzione"})
        assert r.status_code == 403
        assert 'href="/console/rapporti"' not in c.get("/console/").text
    assert not [a for a in audit(registro_api) if a.risorsa == "lavoro"]
    assert len(list((Path(settings.data_dir) / "report" / "direzione").glob("*/v*"))) == 1


def test_a_failing_job_shows_its_outcome(cliente: Callable[[str], TestClient],
                                         registro_api: Engine,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def guasto(engine: Engine, settings: Settings, adesso: datetime) -> str:
        raise RuntimeError("disco pieno")

    originale = scheduled.LAVORI["report_osservatorio"]
    monkeypatch.setitem(scheduled.LAVORI, "report_osservatorio",
                        dataclasses.replace(originale, funzione=guasto))
    c = cliente("direzione")
    r = c.post("/console/rapporti/esegui", data={"csrf": csrf(c.get("/console/").text),
                                                 "lavoro": "report_osservatorio"})
    assert r.status_code == 200
    assert "report_osservatorio: non eseguito." in r.text and "disco pieno" in r.text
    assert "fallito" in r.text  # the job's last outcome in the table
    esito = [a for a in audit(registro_api) if a.azione == "console esito lavoro"]
    assert len(esito) == 1 and json.loads(esito[0].dopo or "{}")["riuscito"] is False
