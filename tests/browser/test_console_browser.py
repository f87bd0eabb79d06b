"""The console in a real headless Chromium (Debian's package, through Playwright) against a
live `uvicorn` server: log in as direzione, filter the list, record a motivazione, the item
leaves the list; log in as upt, contest a sanction, then annul it with a reason; register a
segnalazione, step it, its overdue term shows on the dashboard; axe-core finds no WCAG 2.1
A/AA violation on each page, as each role that may see it, at 1280 and 360 px. Screenshots
of each page go to /tmp/console-shots/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from supporto.prenotazioni import riga, scrivi_export
from supporto.sito import registro_sintetico

from registro.check import check
from registro.db import transazione
from registro.tutela import service as tutela
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
        service.crea_utente(session=session, nome="sportello", ruolo="upt",
                            password=PASSWORD)
        service.crea_utente(session=session, nome="consultazione", ruolo="lettura",
                            password=PASSWORD)
        service.crea_utente(session=session, nome="ufficio", ruolo="upt", password=PASSWORD)
        # one segnalazione with an overdue term, for the pages' axe run
        tutela.crea(session=session, autore=tutela.Autore("ufficio", "upt", "prova"),
                    oggi=date.today(), canale="lettera", tipo="reclamo",
                    oggetto="Attesa oltre lo standard", ricevuta_da="URP",
                    ricevuta_il=date.today() - timedelta(days=40),
                    contatto=tutela.Contatto(nome="Cittadino Fittizio"))
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


def test_a_contested_sanction_through_its_states(browser: Any, server: str) -> None:
    context, page = _entra(browser, server, nome="sportello")
    try:
        page.goto(server + "/console/sanzioni")
        page.select_option("#f-tipo", "malum")
        page.select_option("#f-stato", "emesso")
        page.click("button:has-text('Filtra')")
        page.wait_for_load_state("load")
        assert "tipo=malum" in page.url and "stato=emesso" in page.url
        page.locator("#voci a[href^='/console/sanzioni/']").first.click()
        page.wait_for_load_state("load")
        assert page.inner_text("#stato-attuale") == "emesso"
        page.click("label[for=stato-contestato]")
        page.fill("#motivo", "Il cittadino dichiara di aver disdetto per telefono")
        page.click("button:has-text('Cambia lo stato')")
        page.wait_for_load_state("load")
        assert "la sanzione ora è «contestato»" in page.inner_text("main")
        assert page.inner_text("#stato-attuale") == "contestato"
        page.click("label[for=stato-annullato]")
        page.click("button:has-text('Cambia lo stato')")
        page.wait_for_load_state("load")
        assert "il motivo è obbligatorio" in page.inner_text("main")
        assert page.inner_text("#stato-attuale") == "contestato"
        page.click("label[for=stato-annullato]")
        page.fill("#motivo", "Disdetta telefonica verificata dal CUP")
        page.click("button:has-text('Cambia lo stato')")
        page.wait_for_load_state("load")
        assert page.inner_text("#stato-attuale") == "annullato"
        storia = page.inner_text("#storia")
        assert storia.count("sportello (upt)") == 2
        assert "Disdetta telefonica verificata dal CUP" in storia
        assert "è finale" in page.inner_text("main")
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


def _tutela_scaduti(page: Any) -> int:
    voce = page.locator("ul.conteggi li", has_text="Termini della Pubblica Tutela scaduti")
    return int(voce.locator(".cifra").inner_text().replace(".", ""))


def test_upt_registers_steps_and_the_dashboard_counts_the_overdue_term(
        browser: Any, server: str) -> None:
    context, page = _entra(browser, server, nome="ufficio")
    try:
        prima = _tutela_scaduti(page)
        page.click("nav >> text=Segnalazioni")
        page.click("text=Registra una segnalazione")
        page.select_option("#tipo", "disfunzione")
        page.select_option("#canale", "colloquio")
        page.select_option("#presentata_da", "associazione")
        page.fill("#oggetto", "Sportello chiuso senza preavviso")
        page.fill("#ricevuta_il", (date.today() - timedelta(days=20)).isoformat())
        page.fill("#telefono", "+39 000 000 0000")
        page.click("button:has-text('Registra la segnalazione')")
        page.wait_for_load_state("load")
        assert re.search(r"/console/segnalazioni/\d+\?registrata=1$", page.url), page.url
        assert "Segnalazione registrata." in page.inner_text("main")
        # trasmessa today-18: the Art. 5 term (3 days) to inform the services is overdue
        page.select_option("#passo", "trasmessa")
        page.fill("#data", (date.today() - timedelta(days=18)).isoformat())
        page.fill("#nota", "Trasmessa alla Direzione")
        page.click("button:has-text('Registra il passo')")
        page.wait_for_load_state("load")
        assert "Passo registrato." in page.inner_text("main")
        assert "Termine scaduto" in page.inner_text("#ritardi")
        assert "comunicazione ai responsabili dei servizi" in page.inner_text("#ritardi")
        page.click("nav >> text=Cruscotto")
        page.wait_for_load_state("load")
        assert _tutela_scaduti(page) > prima
    finally:
        context.close()


PAGINE = ["/console/", "/console/monitoraggio", "/console/sanzioni", "/console/impostazioni",
          "/console/segnalazioni", "/console/segnalazioni/1", "/console/segnalazioni/riepilogo",
          "/console/rapporti", "/console/ingest", "/console/ingest/anagrafiche",
          "/console/ingest/anagrafiche?tabella=sedi", "/console/ingest/anagrafiche?tabella=reparti"]
PAGINE_UPT = ["/console/segnalazioni", "/console/segnalazioni/nuova",
              "/console/segnalazioni/1", "/console/segnalazioni/riepilogo"]
PAGINE_CUP = ["/console/", "/console/ingest", "/console/ingest/anagrafiche"]


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
        page.goto(server + "/console/sanzioni?tipo=malum")
        sanzione = page.locator("#voci a[href^='/console/sanzioni/']").first.get_attribute(
            "href")
        page.goto(server + "/console/ingest")
        caricamento = page.locator("#storico a[href^='/console/ingest/']").first.get_attribute(
            "href")
        for percorso in [*PAGINE, prenotazione, ricovero, sanzione, caricamento]:
            risposta = page.goto(server + percorso)
            assert risposta is not None and risposta.ok, percorso
            violazioni = _axe(page)
            assert violazioni == [], (percorso, violazioni)
            nome = percorso.strip("/").replace("/", "_") or "console"
            page.screenshot(path=str(SCATTI / f"{nome}-{larghezza}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("nome", ["sportello", "consultazione"])
@pytest.mark.parametrize("larghezza", [1280, 360])
def test_sanctions_pass_axe_for_upt_and_lettura(browser: Any, server: str, nome: str,
                                                larghezza: int) -> None:
    SCATTI.mkdir(parents=True, exist_ok=True)
    context, page = _entra(browser, server, larghezza, nome=nome)
    try:
        page.goto(server + "/console/sanzioni?tipo=bonum")
        sanzione = page.locator("#voci a[href^='/console/sanzioni/']").first.get_attribute(
            "href")
        percorsi = ["/console/sanzioni", "/console/sanzioni?tipo=bonum", sanzione]
        if nome == "sportello":
            percorsi.append(f"{sanzione}/avviso")
        for percorso in percorsi:
            risposta = page.goto(server + percorso)
            assert risposta is not None and risposta.ok, percorso
            violazioni = _axe(page)
            assert violazioni == [], (nome, percorso, violazioni)
            scatto = percorso.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
            page.screenshot(path=str(SCATTI / f"{nome}-{scatto}-{larghezza}.png"),
                            full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("larghezza", [1280, 360])
def test_upt_pages_pass_axe_and_screenshots(browser: Any, server: str, larghezza: int) -> None:
    SCATTI.mkdir(parents=True, exist_ok=True)
    context, page = _entra(browser, server, larghezza, nome="ufficio")
    try:
        for percorso in PAGINE_UPT:
            risposta = page.goto(server + percorso)
            assert risposta is not None and risposta.ok, percorso
            violazioni = _axe(page)
            assert violazioni == [], (percorso, violazioni)
            nome = "upt_" + percorso.strip("/").replace("/", "_")
            page.screenshot(path=str(SCATTI / f"{nome}-{larghezza}.png"), full_page=True)
    finally:
        context.close()


# --- every flow with the keyboard alone --------------------------------------------------------

def _tab_fino_a(page: Any, selettore: str, massimo: int = 200) -> None:
    """Tab (never the mouse) until the focus is on `selettore`: the control is reachable by
    keyboard, in the page's own order."""
    for _ in range(massimo):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selettore):
            return
    raise AssertionError(f"{selettore} non raggiungibile con il tasto Tab")


def _scegli(page: Any, valore: str) -> None:
    """Choose `valore` in the focused select or radio group with the arrow keys."""
    page.keyboard.press("Home")
    for _ in range(40):
        attuale = page.evaluate(
            "() => { const e = document.activeElement; return e.type === 'radio' ? "
            "(e.form.querySelector(`input[name=\"${e.name}\"]:checked`) || {}).value : "
            "e.value }")
        if attuale == valore:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{valore} non selezionabile con le frecce")


def _invio_e_attesa(page: Any) -> None:
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")


def _entra_da_tastiera(browser: Any, server: str, nome: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server + "/console/accesso")
    _tab_fino_a(page, "#nome")
    page.keyboard.type(nome)
    _tab_fino_a(page, "#password")
    page.keyboard.type(PASSWORD)
    _invio_e_attesa(page)
    assert page.url.endswith("/console/"), page.url
    return context, page


def _vai(page: Any, percorso: str) -> None:
    """Follow the menu's link, by keyboard."""
    _tab_fino_a(page, f"nav a[href='{percorso}']")
    _invio_e_attesa(page)


def test_every_flow_with_the_keyboard_alone(browser: Any, server: str,
                                            tmp_path: Path) -> None:
    # direzione: filter the list, one motivazione for two items at once
    context, page = _entra_da_tastiera(browser, server, "direttore")
    try:
        _vai(page, "/console/monitoraggio")
        _tab_fino_a(page, "#f-lista")
        _scegli(page, "superamento_senza_motivazione")
        _tab_fino_a(page, "#f-registro")
        _scegli(page, "prestazioni")
        _tab_fino_a(page, "#filtri button[type=submit]")
        _invio_e_attesa(page)
        assert "lista=superamento_senza_motivazione" in page.url
        scelte = []
        for _ in range(2):
            _tab_fino_a(page, "#motiva input[name=voce]:not(:checked)")
            scelte.append(page.evaluate("() => document.activeElement.value"))
            page.keyboard.press("Space")
        _tab_fino_a(page, "#testo")
        page.keyboard.type("Agenda straordinaria aperta per il picco di richieste")
        _tab_fino_a(page, "#motiva button[type=submit]")
        _invio_e_attesa(page)
        assert "motivazion" in page.inner_text("main")
        for valore in scelte:
            assert page.locator(f"input[name=voce][value='{valore}']").count() == 0
    finally:
        context.close()

    # upt: a sanction contested, then a segnalazione registered
    context, page = _entra_da_tastiera(browser, server, "sportello")
    try:
        _vai(page, "/console/sanzioni")
        _tab_fino_a(page, "#f-tipo")
        _scegli(page, "malum")
        _tab_fino_a(page, "#f-stato")
        _scegli(page, "emesso")
        _tab_fino_a(page, "#filtri button[type=submit]")
        _invio_e_attesa(page)
        _tab_fino_a(page, "#voci a[href^='/console/sanzioni/']")
        _invio_e_attesa(page)
        assert page.inner_text("#stato-attuale") == "emesso"
        _tab_fino_a(page, "input[name=stato]")
        _scegli(page, "contestato")
        _tab_fino_a(page, "#motivo")
        page.keyboard.type("Il cittadino dichiara di aver disdetto per telefono")
        _tab_fino_a(page, "form[action$='/stato'] button[type=submit]")
        _invio_e_attesa(page)
        assert page.inner_text("#stato-attuale") == "contestato"

        _vai(page, "/console/segnalazioni")
        _tab_fino_a(page, "a[href='/console/segnalazioni/nuova']")
        _invio_e_attesa(page)
        _tab_fino_a(page, "#tipo")
        _scegli(page, "reclamo")
        _tab_fino_a(page, "#oggetto")
        page.keyboard.type("Attesa oltre lo standard per una visita")
        _tab_fino_a(page, "#modulo button[type=submit]")
        _invio_e_attesa(page)
        assert "Segnalazione registrata." in page.inner_text("main")
    finally:
        context.close()

    # cup: an export uploaded (the file chooser opened from the keyboard), its summary
    export = scrivi_export(tmp_path / "tastiera.csv", [
        riga("KB-OK1"), riga("KB-KO1", codice_prestazione="99.99.99")])
    context, page = _entra_da_tastiera(browser, server, "operatore-cup")
    try:
        _vai(page, "/console/ingest")
        _tab_fino_a(page, "#file")
        # the file dialog is the system's, outside the page: the field is reached by Tab,
        # the file given to it directly (headless Chromium does not always open a chooser)
        page.set_input_files("#file", str(export))
        _tab_fino_a(page, "#carica button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/console/ingest/\d+\?nuovo=1$"), timeout=120_000)
        page.wait_for_load_state("load")
        assert "Righe scartate\t1" in page.inner_text("#riepilogo")
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
