"""The public site in a real headless Chromium (Debian's package, driven by Playwright).

Every page type loads with no console error, the search finds a service by part of its name
(JavaScript on), the full index works with JavaScript off, no table column is cut at 1280 px,
a 360-px phone reads the tables as stacked cards without any sideways scroll, and axe-core
(pinned npm package) finds no WCAG 2.1 A/AA violation at either width.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from supporto.sito import GOLDEN_OGGI, GOLDEN_PERIODO, registro_golden, registro_sintetico

from public_site.build import build_site
from registro.periodo import Periodo

pytestmark = [pytest.mark.browser, pytest.mark.npm]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "public_site" / "node_modules" / "axe-core" / \
    "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

PAGINE = {
    "home": "index.html",
    "indice": "prestazioni/index.html",
    "prestazione": "prestazioni/89.7A.3.html",
    "sede": "sedi/S001.html",
    "elenco_sedi": "sedi/index.html",
    "reparto": "reparti/08.01.html",
    "elenco_reparti": "reparti/index.html",
    "diritti": "diritti.html",
    "accessibilita": "accessibilita.html",
    "metodologia": "metodologia.html",
    "open_data": "open-data.html",
    "stampa": "registro-stampabile.html",
    "avvertenze": "avvertenze-prenotazione.html",
}


class _Silenzioso(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def sito(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sito_browser")
    engine, settings = registro_sintetico(base / "registro", prenotazioni=20_000,
                                          ricoveri=2_000)
    esito = build_site(engine=engine, settings=settings, out=base / "sito",
                       periodo=Periodo.parse("2025"), oggi=date(2026, 1, 15))
    engine.dispose()
    return esito.cartella


def _servi(cartella: Path) -> Iterator[str]:
    handler = functools.partial(_Silenzioso, directory=str(cartella))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def server(sito: Path) -> Iterator[str]:
    yield from _servi(sito)


@pytest.fixture(scope="session")
def server_golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The golden register's site: services a site delivers without bookings in the period
    ("nessuna prenotazione nel periodo"), a service without a tariff, one above the ticket
    ceiling (the synthetic year books every service at every site)."""
    base = tmp_path_factory.mktemp("sito_golden_browser")
    engine, settings = registro_golden(base / "registro",
                                       f"sqlite:///{base / 'registro.db'}")
    esito = build_site(engine=engine, settings=settings, out=base / "sito",
                       periodo=Periodo.parse(GOLDEN_PERIODO),
                       oggi=date.fromisoformat(GOLDEN_OGGI))
    engine.dispose()
    yield from _servi(esito.cartella)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium mancante: apt-get install -y chromium (make setup)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _apri(browser: Any, url: str, **opzioni: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(**opzioni)
    page = context.new_page()
    errori: list[str] = []
    page.on("console", lambda m: errori.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errori.append(str(e)))
    page.on("requestfailed", lambda r: errori.append(f"richiesta fallita: {r.url}"))
    page.on("response", lambda r: errori.append(f"{r.status}: {r.url}") if r.status >= 400
            else None)
    risposta = page.goto(url, wait_until="load")
    assert risposta is not None and risposta.ok, url
    return context, page, errori


DESKTOP = {"width": 1280, "height": 900}
TELEFONO = {"width": 360, "height": 740}


@pytest.mark.parametrize("larghezza", [1280, 360])
@pytest.mark.parametrize("tipo", sorted(PAGINE))
def test_page_loads_without_console_errors_and_passes_axe(browser: Any, server: str,
                                                          tipo: str, larghezza: int) -> None:
    context, page, errori = _apri(browser, server + PAGINE[tipo],
                                  viewport=DESKTOP if larghezza == 1280 else TELEFONO)
    try:
        assert page.locator("h1").count() == 1
        assert "Dati aggiornati al" in page.inner_text("main")
        page.add_script_tag(path=str(AXE))
        risultato = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
        violazioni = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                      for v in risultato["violations"]]
        assert violazioni == [], violazioni
        assert errori == [], errori
    finally:
        context.close()


def test_search_finds_a_service_by_partial_name(browser: Any, server: str) -> None:
    context, page, errori = _apri(browser, server + "index.html")
    try:
        page.fill("#cerca-prestazione", "cardiolog")
        link = page.locator("#esiti-ricerca a", has_text="Prima visita cardiologica")
        link.first.wait_for()
        assert "trovat" in page.inner_text("#stato-ricerca")
        link.first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("prestazioni/89.7A.3.html")
        assert page.inner_text("h1") == "Prima visita cardiologica"
        assert errori == []
    finally:
        context.close()


def test_index_filters_with_js_and_works_without(browser: Any, server: str) -> None:
    context, page, _ = _apri(browser, server + "prestazioni/index.html?q=cardiologica")
    try:
        visibili = page.locator("#elenco-prestazioni li:visible")
        assert 1 <= visibili.count() < 10
        assert "trovate" in page.inner_text("#stato-ricerca")
    finally:
        context.close()

    context, page, errori = _apri(browser, server + "index.html", java_script_enabled=False)
    try:
        page.fill("#cerca-prestazione", "cardiologica")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_load_state("load")
        assert "prestazioni/index.html?q=cardiologica" in page.url
        tutte = page.locator("#elenco-prestazioni li")
        assert tutte.count() > 50  # the full index, every service listed
        page.get_by_role("link", name="Prima visita cardiologica").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("prestazioni/89.7A.3.html")
        assert errori == []
    finally:
        context.close()


CON_TABELLE = ["prestazione", "sede", "reparto", "stampa", "open_data"]


@pytest.mark.parametrize("tipo", sorted(PAGINE))
def test_no_table_column_cut_at_1280(browser: Any, server: str, tipo: str) -> None:
    context, page, _ = _apri(browser, server + PAGINE[tipo], viewport=DESKTOP)
    try:
        misure = page.evaluate(
            "() => [...document.querySelectorAll('table, .table-responsive')].map(e => "
            "[e.tagName, e.scrollWidth, e.clientWidth])")
        if tipo in CON_TABELLE:
            assert misure, "nessuna tabella misurata"
        tagliate = [m for m in misure if m[1] > m[2]]
        assert tagliate == [], tagliate
        pagina = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert pagina[0] <= pagina[1], pagina
    finally:
        context.close()


@pytest.mark.parametrize("tipo", sorted(PAGINE))
def test_no_sideways_scroll_on_a_phone(browser: Any, server: str, tipo: str) -> None:
    context, page, _ = _apri(browser, server + PAGINE[tipo], viewport=TELEFONO)
    try:
        larghezze = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert larghezze[0] <= larghezze[1], larghezze
        box = page.evaluate(
            "() => [...document.querySelectorAll('.table-responsive')].map(e => "
            "e.scrollWidth <= e.clientWidth)")
        assert all(box), box
    finally:
        context.close()


@pytest.mark.parametrize("tipo", CON_TABELLE)
def test_tables_read_as_cards_on_a_phone(browser: Any, server: str, tipo: str) -> None:
    context, page, _ = _apri(browser, server + PAGINE[tipo], viewport=TELEFONO)
    try:
        celle = page.locator("table.tabella-attese tbody td")
        assert celle.count() > 0
        # every data cell says which column it is, and shows it beside its value
        senza_etichetta = page.evaluate(
            "() => [...document.querySelectorAll('table.tabella-attese tbody td')]"
            ".filter(td => !td.dataset.label).length")
        assert senza_etichetta == 0
        prima = celle.first
        assert prima.evaluate("e => getComputedStyle(e).display") in ("block", "flex")
        assert prima.evaluate("e => getComputedStyle(e, '::before').content") == \
            '"' + (prima.get_attribute("data-label") or "") + '"'
        # each row is a card no wider than the screen; the header row is off screen
        riga = page.locator("table.tabella-attese tbody tr").first
        box = riga.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert page.locator("table.tabella-attese thead").first.bounding_box()["height"] <= 1
        # the verdict is on screen, not hidden past a sideways scroll
        if tipo != "open_data":
            giudizio = page.locator("table.tabella-attese tbody .conformita").first
            gbox = giudizio.bounding_box()
            assert gbox is not None and gbox["x"] + gbox["width"] <= 360
    finally:
        context.close()


PAGINE_SENZA_PRENOTAZIONI = ["prestazioni/89.52.html", "sedi/S001.html",
                             "registro-stampabile.html"]


@pytest.mark.parametrize("larghezza", [1280, 360])
@pytest.mark.parametrize("percorso", PAGINE_SENZA_PRENOTAZIONI)
def test_rows_without_bookings_pass_axe_and_fit(browser: Any, server_golden: str,
                                                percorso: str, larghezza: int) -> None:
    """A row that says "nessuna prenotazione nel periodo" (one cell across the wait columns)
    passes axe, is a card on a phone like the others, and cuts no table."""
    context, page, errori = _apri(browser, server_golden + percorso,
                                  viewport=DESKTOP if larghezza == 1280 else TELEFONO)
    try:
        nessuna = page.locator("table.tabella-attese td.nessuna")
        assert nessuna.count() > 0
        assert nessuna.first.inner_text().strip().endswith("nessuna prenotazione nel periodo")
        page.add_script_tag(path=str(AXE))
        risultato = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
        violazioni = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                      for v in risultato["violations"]]
        assert violazioni == [], violazioni
        misure = page.evaluate(
            "() => [...document.querySelectorAll('table, .table-responsive')].map(e => "
            "[e.tagName, e.scrollWidth, e.clientWidth])")
        assert [m for m in misure if m[1] > m[2]] == []
        pagina = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert pagina[0] <= pagina[1], pagina
        if larghezza == 360:
            box = nessuna.first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert errori == [], errori
    finally:
        context.close()
