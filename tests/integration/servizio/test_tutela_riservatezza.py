# ruff: noqa: F811 — the SMTP fixture imported from supporto.report is an argument
"""The citizen's contact never leaves the UPT (both databases): a register with
segnalazioni walked through the API and the CLI, then every output is searched for it —
the Direzione's view, every non-UPT answer of the API, the monitoring list, the CLI's
output and files, the three reports (HTML, PDF text, CSV) and the delivered e-mail, the
public site, every table but `segnalazione_contatto`, and the logs."""

from __future__ import annotations

import email.policy
import logging
import subprocess
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import select
from supporto.report import Casella, con_smtp, riempi, server  # noqa: F401
from supporto.tutela import CONTATTO, FRAMMENTI_CONTATTO

from registro.db import read_frame, transazione
from registro.models import Sanzione
from registro.settings import Settings
from reports.service import esegui
from servizio.api import service as api_service
from servizio.api.app import create_app


def _trapela(testo: str) -> list[str]:
    return [f for f in FRAMMENTI_CONTATTO if f in testo]


def _cli(settings: Settings, *args: str) -> str:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave-di-prova", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout + res.stderr


def _testo_file(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return path.read_bytes().decode("latin-1")


def _tabelle(engine: Engine) -> dict[str, str]:
    out = {}
    for tabella in inspect(engine).get_table_names():
        cols = [c["name"] for c in inspect(engine).get_columns(tabella)]
        df = read_frame(engine, f"SELECT {', '.join(cols)} FROM {tabella}",
                        {c: pl.String() for c in cols})
        out[tabella] = df.write_csv()
    return out


@pytest.mark.npm
@pytest.mark.slow
def test_the_contact_never_leaves_the_upt(engine: Engine, settings: Settings, tmp_path: Path,
                                          server: tuple[Casella, int, Controller],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    casella, porta, _ = server
    riempi(engine, settings, tmp_path / "cup")
    with transazione(engine) as session:
        token = {r: api_service.crea_token(session=session, nome=f"u-{r}", ruolo=r)
                 for r in api_service.RUOLI}
        malum = session.exec(select(Sanzione).where(Sanzione.tipo == "malum",
                                                    Sanzione.stato == "emesso")).first()
        assert malum is not None
    uscite: dict[str, str] = {}
    client = TestClient(create_app(settings), raise_server_exceptions=False)

    def chiama(ruolo: str, metodo: str, url: str, **kw: Any) -> Any:
        r = client.request(metodo, url, headers={"Authorization": f"Bearer {token[ruolo]}"},
                           **kw)
        assert r.status_code < 500, r.text
        if ruolo != "upt":
            uscite[f"api {ruolo} {metodo} {url}"] = r.text
        return r

    def nuova(**campi: Any) -> int:
        r = chiama("upt", "POST", "/segnalazioni", json={
            "canale": "email", "tipo": "reclamo", "oggetto": "Attesa oltre lo standard",
            "contatto": asdict(CONTATTO), **campi})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def passo(n: int, nome: str, giorno: str, **campi: Any) -> None:
        r = chiama("upt", "POST", f"/segnalazioni/{n}/passi",
                   json={"passo": nome, "data": giorno, **campi})
        assert r.status_code == 201, r.text

    risolta = nuova(ricevuta_il="2025-07-01", canale="telefono", tipo="disfunzione")
    passo(risolta, "risolta", "2025-07-01", esito="accolta")
    completa = nuova(ricevuta_il="2025-08-01", data_conoscenza="2025-07-01")
    for nome, giorno in (("trasmessa", "2025-08-04"), ("servizi_informati", "2025-08-06"),
                         ("informazioni_ricevute", "2025-08-12")):
        passo(completa, nome, giorno)
    passo(completa, "risposta_inviata", "2025-08-20", esito="respinta", nota="Nessun ritardo")
    passo(completa, "riesame", "2025-09-01")
    contestata = nuova(ricevuta_il="2025-09-01", id_sanzione=malum.id)
    passo(contestata, "risolta", "2025-09-02", esito="accolta")
    ferma = nuova(ricevuta_il="2025-11-02")            # never transmitted: overdue
    uscite["cli nuova"] = _cli(
        settings, "segnalazione", "nuova", "--canale", "modulo", "--tipo", "suggerimento",
        "--oggetto", "SMS di promemoria", "--ricevuta-il", "2025-10-01",
        "--nome", CONTATTO.nome or "", "--email", CONTATTO.email or "",
        "--telefono", CONTATTO.telefono or "", "--indirizzo", CONTATTO.indirizzo or "")
    uscite["cli passo"] = _cli(settings, "segnalazione", "passo", "5", "risolta", "--data",
                               "2025-10-02", "--esito", "parzialmente_accolta")
    elenco = tmp_path / "elenco.csv"
    uscite["cli elenco"] = _cli(settings, "segnalazione", "elenco", "--out", str(elenco),
                                "--al", "2025-12-31")
    monitoraggio = tmp_path / "monitoraggio.csv"
    uscite["cli monitoring"] = _cli(settings, "monitoring", "--out", str(monitoraggio), "--al",
                                    "2025-12-31")

    # the UPT sees the contact: the search below finds it where it is
    upt = chiama("upt", "GET", f"/segnalazioni/{completa}")
    assert _trapela(upt.text)

    for ruolo in ("direzione", "cup", "lettura"):
        chiama(ruolo, "GET", "/segnalazioni", params={"per_pagina": 500})
        for n in (risolta, completa, contestata, ferma, 5):
            chiama(ruolo, "GET", f"/segnalazioni/{n}")
            chiama(ruolo, "GET", f"/segnalazioni/{n}/documenti/scheda")
        chiama(ruolo, "GET", "/monitoring", params={"al": "2025-12-31"})
        chiama(ruolo, "GET", "/sanzioni", params={"id_prenotazione": malum.id_prenotazione})
    direzione = chiama("direzione", "GET", f"/segnalazioni/{completa}").json()
    assert direzione["contatto"] is None and direzione["stato"] == "riesame"

    # the reports, archived and delivered, and the public site
    smtp = con_smtp(settings, porta)
    _, consegna = esegui(engine=engine, settings=smtp, tipo="conferenza",
                         periodo="2025-H2", out=tmp_path / "conferenza")
    assert consegna == "consegnata"
    esegui(engine=engine, settings=smtp, tipo="direzione", al=date(2025, 12, 31),
           out=tmp_path / "direzione")
    esegui(engine=engine, settings=smtp, tipo="osservatorio", periodo="2025-Q4",
           out=tmp_path / "osservatorio")
    from public_site.build import build_site
    from registro.periodo import Periodo

    build_site(engine=engine, settings=settings, out=tmp_path / "sito",
               periodo=Periodo.parse("2025"), oggi=date(2025, 12, 31))
    for cartella in ("conferenza", "direzione", "osservatorio", "sito"):
        for f in sorted((tmp_path / cartella).rglob("*")):
            if f.is_file() and f.suffix in (".html", ".pdf", ".csv", ".json", ".txt"):
                uscite[str(f.relative_to(tmp_path))] = _testo_file(f)
    for f in (elenco, monitoraggio):
        uscite[f.name] = _testo_file(f)
    for i, msg in enumerate(casella.messaggi):
        uscite[f"e-mail {i}"] = msg.as_string(policy=email.policy.default)
        for parte in msg.iter_attachments():
            if parte.get_filename().endswith(".csv"):
                uscite[f"e-mail {i} {parte.get_filename()}"] = parte.get_content()
    tabelle = _tabelle(engine)
    assert _trapela(tabelle.pop("segnalazione_contatto"))
    uscite.update({f"tabella {t}": testo for t, testo in tabelle.items()})
    uscite["log"] = caplog.text

    # the outputs do carry the tutela data (so the search is over something real)...
    allegati = {p.get_filename() for p in casella.messaggi[0].iter_attachments()}
    assert {"tutela.csv", "tutela_riepilogo.csv"} <= allegati
    assert "Pubblica tutela" in uscite["conferenza/conferenza.html"]
    assert "tutela_in_ritardo" in uscite["monitoraggio.csv"]
    assert "tutela_in_ritardo" in uscite["direzione/lista_monitoraggio.csv"]
    assert "Attesa oltre lo standard" in uscite["tabella segnalazione"]
    riepilogo = pl.read_csv(tmp_path / "conferenza" / "tutela_riepilogo.csv",
                            infer_schema=False)
    valori = dict(zip(riepilogo["indicatore"], riepilogo["valore"], strict=True))
    assert (valori["ricevute"], valori["tardive"], valori["risposte"],
            valori["riesami_chiesti"], valori["in_ritardo_fine_periodo"]) == (
        "5", "1", "4", "1", "1")
    assert valori["mediana_giorni_risposta"] is None     # 4 replies: below the threshold
    conteggi = pl.read_csv(tmp_path / "conferenza" / "tutela.csv", infer_schema=False)
    esiti = {v: n for d, v, n in conteggi.iter_rows() if d == "esito"}
    assert esiti == {"accolta": "2", "parzialmente_accolta": "1", "respinta": "0",
                     "in_riesame": "1", "in_istruttoria": "1"}
    # ...and none of them the contact
    trovati = {k: _trapela(v) for k, v in uscite.items() if _trapela(v)}
    assert trovati == {}
    assert len(uscite) > 40
