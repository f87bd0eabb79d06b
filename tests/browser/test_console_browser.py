"""The console in a real headless Chromium (Debian's package, through Playwright) against a
live `uvicorn` server: log in as direzione, filter the list, record a motivazione, the item
leaves the list; axe-core finds no WCAG 2.1 A/AA violation on each page at 1280 and 360 px.
Screenshots of each page go to /tmp/console-shots/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from supporto.prenotazioni import riga, scrivi_export
from supporto.sito import registro_sintetico

from registro.check import check
from registro.db import transazione
from servizio.api.app import create_app
from servizio.console import caricamenti, service

pytestmark = [pytest.mark.browser, pytest.mark.npm]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "public_site" / "node_modules" / "axe-core" / \
    "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "password-del-browser"
SCATTI = Path("/tmp/console-shots")
LAVORI: dict[str, str] = {}
"""The ids of the console uploads the server fixture records (their pages are axe-checked)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from datetime import date

    base = tmp_path_factory.mktemp("console_browser")
    engine, settings = registro_sintetico(base / "registro", prenotazioni=4000, ricoveri=400)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    with transazione(engine) as session:
        service.crea_utente(session=session, nome="direttore", ruolo="direzione",
                            password=PASSWORD)
        service.crea_utente(session=session, nome="operatore-cup", ruolo="cup",
                            password=PASSWORD)
    # two console uploads as their pages show them: one still running, one failed
    cup = service.Persona(nome="operatore-cup", ruolo="cup", csrf="-", id_hash="-")
    LAVORI["in_corso"] = caricamenti.nuovo_lavoro(engine=engine, file="grande.csv",
                                                  registro="prestazioni", persona=cup)
    LAVORI["fallito"] = caricamenti.nuovo_lavoro(engine=engine, file="pochi.csv",
                                                 registro="prestazioni", persona=cup)
    caricamenti.concludi_lavoro(engine=engine, ident=LAVORI["fallito"],
                                errore="pochi.csv: colonne obbligatorie assenti: "
                                       "id_prenotazione; nessun dato è stato scritto")
    engine.dispose()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    porta = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{porta}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium mancante: apt-get install -y chromium (make setup)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _entra(browser: Any, server: str, larghezza: int = 1280,
           nome: str = "direttore") -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": larghezza, "height": 900}, bypass_csp=True,
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/console/accesso")
    page.fill("#nome", nome)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Accedi')")
    page.wait_for_load_state("load")
    assert page.url.endswith("/console/"), page.url
    return context, page


def _axe(page: Any) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    risultato = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in risultato["violations"]]


def test_filter_and_record_a_motivazione(browser: Any, server: str) -> None:
    context, page = _entra(browser, server)
    try:
        page.goto(server + "/console/monitoraggio")
        page.select_option("#f-lista", "superamento_senza_motivazione")
        page.select_option("#f-registro", "prestazioni")
        page.click("button:has-text('Filtra')")
        page.wait_for_load_state("load")
        assert "lista=superamento_senza_motivazione" in page.url
        prima = page.inner_text("#conteggio")
        casella = page.locator("input[name=voce]").first
        valore = casella.get_attribute("value")
        casella.check()
        page.fill("#testo", "Picco di richieste, agenda straordinaria aperta")
        page.click("button:has-text('Registra la motivazione')")
        page.wait_for_load_state("load")
        assert "motivazione registrata" in page.inner_text("main")
        assert page.locator(f"input[name=voce][value='{valore}']").count() == 0
        assert page.inner_text("#conteggio") != prima
    finally:
        context.close()


def test_cup_uploads_a_file_with_bad_rows_and_downloads_the_rejects(
        browser: Any, server: str, tmp_path: Path) -> None:
    export = scrivi_export(tmp_path / "settimana.csv", [
        riga("BR-OK1"), riga("BR-OK2"),
        riga("BR-KO1", codice_prestazione="99.99.99"),
        riga("BR-KO2", data_appuntamento="2026-02-01T09:00")])
    context, page = _entra(browser, server, nome="operatore-cup")
    try:
        page.click("nav a:has-text('Caricamenti')")
        page.wait_for_load_state("load")
        page.set_input_files("#file", str(export))
        page.click("button:has-text('Carica')")
        # the job's page reloads itself (meta refresh) until it sends us to the summary
        page.wait_for_url(re.compile(r"/console/ingest/\d+\?nuovo=1$"), timeout=120_000)
        page.wait_for_load_state("load")
        assert "Caricamento completato" in page.inner_text("main")
        riepilogo = page.inner_text("#riepilogo")
        assert "Righe ricevute\t4" in riepilogo and "Righe scartate\t2" in riepilogo, riepilogo
        assert "99.99.99" in page.inner_text("#scarti")
        with page.expect_download() as scaricato:
            page.click("a:has-text('Scarica gli scarti in CSV')")
        csv = Path(scaricato.value.path()).read_text(encoding="utf-8")
        assert csv.splitlines()[0] == "riga,campo,valore,motivo"
        assert len(csv.splitlines()) == 3 and "99.99.99" in csv
        page.goto(server + "/console/ingest")
        assert "settimana.csv" in page.inner_text("#storico")
        assert "operatore-cup" in page.inner_text("#storico")
    finally:
        context.close()


PAGINE = ["/console/", "/console/monitoraggio", "/console/impostazioni", "/console/ingest",
          "/console/ingest/anagrafiche", "/console/ingest/anagrafiche?tabella=sedi",
          "/console/ingest/anagrafiche?tabella=reparti"]
PAGINE_CUP = ["/console/", "/console/ingest", "/console/ingest/anagrafiche"]


def test_job_in_progress_reloads_itself(browser: Any, server: str) -> None:
    SCATTI.mkdir(parents=True, exist_ok=True)
    for larghezza in (1280, 360):
        context, page = _entra(browser, server, larghezza, nome="operatore-cup")
        try:
            page.goto(server + f"/console/ingest/lavori/{LAVORI['in_corso']}")
            assert "Caricamento in corso" in page.inner_text("h1")
            page.screenshot(path=str(SCATTI / f"cup_ingest_in_corso-{larghezza}.png"),
                            full_page=True)
            with page.expect_navigation(timeout=10_000):
                pass  # the page reloads itself, without JavaScript
            assert "Caricamento in corso" in page.inner_text("h1")
        finally:
            context.close()


@pytest.mark.parametrize("larghezza", [1280, 360])
def test_pages_pass_axe_and_screenshots(browser: Any, server: str, larghezza: int) -> None:
    SCATTI.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": larghezza, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(server + "/console/accesso")
        assert _axe(page) == []
        page.screenshot(path=str(SCATTI / f"accesso-{larghezza}.png"), full_page=True)
        context.close()
        context, page = _entra(browser, server, larghezza)
        page.goto(server + "/console/monitoraggio?registro=prestazioni")
        prenotazione = page.locator("a[href^='/console/prenotazioni/']").first.get_attribute(
            "href")
        page.goto(server + "/console/monitoraggio?registro=ricoveri")
        ricovero = page.locator("a[href^='/console/ricoveri/']").first.get_attribute("href")
        page.goto(server + "/console/ingest")
        caricamento = page.locator("#storico a[href^='/console/ingest/']").first.get_attribute(
            "href")
        for percorso in [*PAGINE, prenotazione, ricovero, caricamento]:
            risposta = page.goto(server + percorso)
            assert risposta is not None and risposta.ok, percorso
            violazioni = _axe(page)
            assert violazioni == [], (percorso, violazioni)
            nome = percorso.strip("/").replace("/", "_") or "console"
            page.screenshot(path=str(SCATTI / f"{nome}-{larghezza}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("larghezza", [1280, 360])
def test_cup_pages_pass_axe(browser: Any, server: str, larghezza: int) -> None:
    SCATTI.mkdir(parents=True, exist_ok=True)
    context, page = _entra(browser, server, larghezza, nome="operatore-cup")
    try:
        page.goto(server + "/console/ingest")
        caricamento = page.locator("#storico a[href^='/console/ingest/']").first.get_attribute(
            "href")
        for percorso in [*PAGINE_CUP, caricamento,
                         f"/console/ingest/lavori/{LAVORI['fallito']}"]:
            risposta = page.goto(server + percorso)
            assert risposta is not None and risposta.ok, percorso
            violazioni = _axe(page)
            assert violazioni == [], (percorso, violazioni)
            nome = "cup_" + (percorso.strip("/").replace("/", "_") or "console")
            page.screenshot(path=str(SCATTI / f"{nome}-{larghezza}.png"), full_page=True)
    finally:
        context.close()
