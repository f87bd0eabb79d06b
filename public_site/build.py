"""`registro site build`: the public waiting-times site, as plain static files.

The composition of the site's parts. Generators + one writer (STYLE 11): each generator of
`public_site.pagine` yields the pages of one type (a template extending `base.html` and its
typed context, `public_site.contesti`), `public_site.modelli` renders them, and the
`Scrittore` writes them and refuses a path written twice. The site is built in a temporary
sibling folder and put in place in one step (`public_site.pubblicazione`), so a reader
never sees half a site. Links are relative: the site works from `file://`, from a folder
on a CUP counter PC and from any static host.

Only the aggregates of `public_site.dati` reach a page, through Jinja2 with autoescape on
for every template; Bootstrap Italia's CSS and the Titillium Web fonts are copied from the
pinned npm package (`public_site.statici`); its JavaScript is not used: every page works
without JavaScript, and the fonts are declared by our own `fonts.css` (so
`window.__PUBLIC_PATH__`, which the package's JS needs to find them, is not needed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from public_site.contesti import Pagina, Sito
from public_site.dati import Pubblicazione, leggi, periodo_predefinito, pubblica
from public_site.formato import data_it, data_ora_it, nome_profilo
from public_site.modelli import ambiente, rendi
from public_site.open_data import scrivi_dati_aperti
from public_site.pagine import (
    indice_ricerca,
    pagina_open_data,
    pagine_generali,
    pagine_prestazioni,
    pagine_reparti,
    pagine_sedi,
    prepara,
    slug,
)
from public_site.pubblicazione import (
    MARCATORE,
    TESTO_MARCATORE,
    cartella_nuova,
    verifica_destinazione,
)
from public_site.scrittore import Scrittore
from public_site.statici import BOOTSTRAP_ITALIA, copia_statici, verifica_bootstrap_italia
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import Profilo, carica_profilo

__all__ = ["BOOTSTRAP_ITALIA", "MARCATORE", "EsitoSito", "build_site", "slug"]


@dataclass
class EsitoSito:
    cartella: Path
    index: Path
    periodo: str
    pagine: int
    file: int
    secondi: float
    avvisi: list[str] = field(default_factory=list)


def _sito(pub: Pubblicazione, profilo: Profilo, settings: Settings,
          generato: datetime) -> Sito:
    return Sito(
        ente=settings.ente, data_dati=data_it(pub.data_dati),
        data_dati_iso=pub.data_dati.isoformat() if pub.data_dati else "",
        periodo=pub.periodo.etichetta, profilo=nome_profilo(profilo.nome),
        soglia=settings.soglia_pubblicazione, generato_il=data_ora_it(generato),
        accessibilita=settings.url_dichiarazione_accessibilita,
        privacy=settings.url_privacy, note_legali=settings.url_note_legali)


def _genera(cartella: Path, *, pub: Pubblicazione, profilo: Profilo, settings: Settings,
            oggi: date, generato: datetime, bootstrap_italia: Path) -> tuple[int, int]:
    """Write the whole site into `cartella`; returns (pages, files)."""
    scrittore = Scrittore(cartella)
    env = ambiente()
    dati = prepara(pub, profilo, settings)
    copia_statici(scrittore, bootstrap_italia)
    scrittore.testo("static/indice-ricerca.js", indice_ricerca(dati))
    risorse = scrivi_dati_aperti(scrittore, pub, settings, oggi)
    sito = _sito(pub, profilo, settings, generato)
    pagine = 0
    generatori: list[Iterator[Pagina]] = [
        pagine_generali(dati), pagine_prestazioni(dati), pagine_sedi(dati),
        pagine_reparti(dati), iter([pagina_open_data(risorse)])]
    for generatore in generatori:
        for pagina in generatore:
            scrittore.testo(pagina.percorso, rendi(env, pagina, sito))
            pagine += 1
    scrittore.testo(MARCATORE, TESTO_MARCATORE)
    return pagine, len(scrittore.scritti)


def _avvisi(settings: Settings) -> list[str]:
    """What the site lacks that an authority should configure (the build still succeeds)."""
    avvisi = [f"impostazione `{nome}` non configurata: il piè di pagina rimanda al sito "
              "istituzionale dell'ente" for nome in ("url_privacy", "url_note_legali")
              if getattr(settings, nome) is None]
    if settings.url_dichiarazione_accessibilita is None:
        if settings.accessibilita_verificata_il is None:
            avvisi.append("impostazione `accessibilita_verificata_il` non configurata: la "
                          "dichiarazione di accessibilità non indica la data dell'ultima "
                          "verifica")
        if settings.accessibilita_email is None:
            avvisi.append("impostazione `accessibilita_email` non configurata: la "
                          "dichiarazione di accessibilità non indica a chi segnalare un "
                          "problema")
    if not any((settings.upt_telefono, settings.upt_email, settings.upt_indirizzo)):
        avvisi.append("contatti dell'Ufficio di Pubblica Tutela non configurati (upt_telefono, "
                      "upt_email, upt_indirizzo): «I tuoi diritti» rimanda al sito "
                      "istituzionale dell'ente")
    if settings.cup_telefono is None:
        avvisi.append("impostazione `cup_telefono` non configurata: «I tuoi diritti» non dice "
                      "quale numero chiamare per prenotare")
    return avvisi


def build_site(*, engine: Engine, settings: Settings, out: Path, periodo: Periodo | None = None,
               oggi: date | None = None, generato: datetime | None = None) -> EsitoSito:
    """Build the public site into `out` (replaced whole, atomically); returns what was done.

    `oggi` is the data's reference date (it picks the default period; the demo passes its
    own); `generato` is when the pages say they were generated, the build's real time
    unless a test fixes it: the two are different facts for a reader."""
    t0 = time.perf_counter()
    oggi = oggi or date.today()
    generato = generato or datetime.now()
    out = Path(out).resolve()
    verifica_destinazione(out)
    verifica_bootstrap_italia(BOOTSTRAP_ITALIA)
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    registri = leggi(engine, settings)
    periodo = periodo or periodo_predefinito(registri.prenotazioni, oggi)
    pub = pubblica(registri, profilo=profilo, periodo=periodo,
                   soglia=settings.soglia_pubblicazione)
    with cartella_nuova(out) as nuovo:
        pagine, file = _genera(nuovo, pub=pub, profilo=profilo, settings=settings, oggi=oggi,
                               generato=generato, bootstrap_italia=BOOTSTRAP_ITALIA)
    return EsitoSito(cartella=out, index=out / "index.html", periodo=periodo.etichetta,
                     pagine=pagine, file=file, secondi=time.perf_counter() - t0,
                     avvisi=_avvisi(settings))
