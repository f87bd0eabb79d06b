"""The site's static assets: Bootstrap Italia's CSS, sprites and fonts, and our own files.

Copied, not linked to a CDN: the site must work from a folder on a CUP counter PC with no
network. Bootstrap Italia comes from the pinned npm package (`public_site/package.json`);
its JavaScript is not copied, every page works without it.
"""

from __future__ import annotations

from pathlib import Path

from public_site.scrittore import Scrittore
from registro.errors import ErroreUtente

QUI = Path(__file__).resolve().parent
STATIC = QUI / "static"
BOOTSTRAP_ITALIA = QUI / "node_modules" / "bootstrap-italia" / "dist"
CSS = Path("css") / "bootstrap-italia.min.css"
SWAGGER_UI = QUI / "node_modules" / "swagger-ui-dist"
"""Swagger UI for the API's `/docs` (servizio.api.documentazione), from the same pinned npm
packages: the API runs on intranets without Internet access."""


def verifica_bootstrap_italia(cartella: Path) -> None:
    """Refuse to build without the npm package: a site without its CSS is not published."""
    if not (cartella / CSS).is_file():
        raise ErroreUtente("Bootstrap Italia non installato: eseguire `make setup`")


def copia_statici(scrittore: Scrittore, bootstrap_italia: Path) -> None:
    """Copy the CSS, the sprites and the Titillium Web fonts (checked by
    `verifica_bootstrap_italia` before the build starts), then `public_site/static/`."""
    dest = "static/bootstrap-italia"
    scrittore.copia(bootstrap_italia / CSS, f"{dest}/{CSS.as_posix()}")
    scrittore.copia(bootstrap_italia / "svg" / "sprites.svg", f"{dest}/svg/sprites.svg")
    fonts = bootstrap_italia / "fonts" / "Titillium_Web"
    for f in sorted(fonts.iterdir()):
        if f.suffix in (".woff2", ".woff", ".txt"):
            scrittore.copia(f, f"{dest}/fonts/Titillium_Web/{f.name}")
    for f in sorted(STATIC.iterdir()):
        if f.is_file():
            scrittore.copia(f, f"static/{f.name}")
