"""`/docs` on an intranet: Swagger UI renders the API's operations in Debian's Chromium with
every request outside 127.0.0.1 blocked and recorded (nothing may come from a CDN)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from registro.db import make_engine, migrate
from registro.settings import load_settings
from servizio.api.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.npm]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _porta_libera() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def api(tmp_path: Path) -> Iterator[str]:
    settings = load_settings(db_url=f"sqlite:///{tmp_path / 'registro.db'}",
                             chiave_pseudonimi="chiave-di-prova")
    engine = make_engine(settings.db_url)
    migrate(engine)
    engine.dispose()
    porta = _porta_libera()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=porta,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{porta}"
    fine = time.monotonic() + 30
    while time.monotonic() < fine:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise AssertionError("il server dell'API non risponde")
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_docs_render_without_any_request_outside_the_machine(api: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Chromium mancante: apt-get install -y chromium (make setup)")
    from playwright.sync_api import sync_playwright

    esterne: list[str] = []
    errori: list[str] = []

    def filtro(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            esterne.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", filtro)
            page = context.new_page()
            page.on("pageerror", lambda e: errori.append(str(e)))
            risposta = page.goto(f"{api}/docs", wait_until="load")
            assert risposta is not None and risposta.ok
            page.wait_for_selector(".opblock", timeout=20_000)
            operazioni = page.locator(".opblock").count()
            testo = page.inner_text("#swagger-ui")
        finally:
            browser.close()
    assert esterne == [], esterne
    assert errori == [], errori
    assert operazioni >= 17, operazioni   # every operation of the schema is listed
    assert "/prenotazioni" in testo and "/monitoring" in testo
    assert "registro — API interna" in testo
