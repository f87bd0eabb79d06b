"""The Jinja environment of the site's templates, and rendering one page with its context.

Autoescape on for every template (the catalog's descriptions come from files an authority
edits), undefined variables are errors (StrictUndefined: a missing field fails the build
instead of printing nothing), and the Italian filters of `public_site.formato`.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from public_site.contesti import Pagina, Sito, variabili
from public_site.formato import CLASSI, FILTRI
from registro.soppressione import DATI_INSUFFICIENTI

TEMPLATES = Path(__file__).resolve().parent / "templates"


def ambiente() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(FILTRI)
    env.globals.update(DATI_INSUFFICIENTI=DATI_INSUFFICIENTI, CLASSI=CLASSI)
    return env


def rendi(env: Environment, pagina: Pagina, sito: Sito) -> str:
    """The page's HTML: its template, the site's frame, and its context's fields. Links are
    relative (`root` climbs back to the site's root), so the site works from `file://`."""
    root = "../" * pagina.percorso.count("/")
    return env.get_template(pagina.template).render(
        sito=sito, root=root, titolo=pagina.titolo, percorso=pagina.percorso,
        **variabili(pagina.contesto))
