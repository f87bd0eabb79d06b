"""`registro site build`: the public waiting-times site, as plain static files.

Generators + one writer (STYLE 11): each generator yields the pages of one type (a template
extending `base.html` and its context), the `Scrittore` writes them and refuses a path
written twice. The site is built in a temporary sibling folder and put in place with a
rename, so a reader never sees half a site. Links are relative: the site works from
`file://`, from a folder on a CUP counter PC and from any static host.

Only the aggregates of `public_site.dati` reach a page, through Jinja2 with autoescape on
for every template; Bootstrap Italia's CSS and the Titillium Web fonts are copied from the
pinned npm package (`public_site/package.json`); its JavaScript is not used: every page
works without JavaScript, and the fonts are declared by our own `fonts.css` (so
`window.__PUBLIC_PATH__`, which the package's JS needs to find them, is not needed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine

from public_site.dati import (
    COLONNE_CATALOGO,
    Pubblicazione,
    leggi,
    periodo_predefinito,
    pubblica,
)
from public_site.scrittore import Scrittore
from registro.csvsafe import scrivi_csv, scrivi_json
from registro.errors import ErroreUtente
from registro.money import cents, euro, format_euro, format_euro_it
from registro.periodo import Periodo
from registro.settings import Settings
from registro.soppressione import (
    DATI_INSUFFICIENTI,
    SOGLIA_IN_LINEA,
    SOGLIA_PARZIALE,
    conformita,
)
from registro.standards import Profilo, Regola, carica_profilo

QUI = Path(__file__).resolve().parent
TEMPLATES = QUI / "templates"
STATIC = QUI / "static"
BOOTSTRAP_ITALIA = QUI / "node_modules" / "bootstrap-italia" / "dist"
MARCATORE = ".registro-sito"
"""File that marks a folder as a site built here: only such a folder is ever replaced."""

TIPI = {"laboratorio": "Esame di laboratorio", "immagini": "Diagnostica per immagini",
        "visita": "Visita specialistica", "strumentale": "Diagnostica strumentale"}
TIPI_PLURALE = {"laboratorio": "esami di laboratorio", "immagini": "diagnostica per immagini",
                "visita": "visite specialistiche", "strumentale": "diagnostica strumentale"}
CLASSI = {"U": "U (urgente)", "B": "B (breve)", "D": "D (differibile)",
          "P": "P (programmata)", "A": "A", "C": "C"}
MESI = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
        "settembre", "ottobre", "novembre", "dicembre"]
SENZA_BRANCA = "Altre prestazioni"

FILE_DATI = {
    "prestazioni": ("tempi_attesa_prestazioni",
                    "Tempi di attesa per prestazione e sede (lettura ex ante)"),
    "andamento": ("andamento_mensile", "Andamento mensile per prestazione (tutte le sedi)"),
    "ricoveri": ("tempi_attesa_ricoveri",
                 "Ricoveri programmati per reparto, patologia e classe di priorità"),
    "catalogo": ("catalogo_prestazioni", "Catalogo delle prestazioni con tariffa"),
}

DESCRIZIONI_CAMPI = {
    "periodo": "Periodo di riferimento (anno, semestre, trimestre o mese)",
    "mese": "Mese di prenotazione (AAAA-MM)",
    "codice_prestazione": "Codice del nomenclatore della prestazione",
    "descrizione": "Descrizione della prestazione",
    "branca": "Branca specialistica",
    "tipo": "Tipo: laboratorio, immagini, visita, strumentale",
    "codice_sede": "Codice della sede di erogazione",
    "nome_sede": "Nome della sede di erogazione",
    "classe_priorita": "Classe di priorità (vuota se gli standard non dipendono dalla classe)",
    "soppresso": "Vero se le prenotazioni in garanzia sono meno della soglia di pubblicazione: "
                 "i valori statistici sono vuoti (dati insufficienti)",
    "soppresso_lista": "Vero se le persone in lista sono meno della soglia di pubblicazione "
                       "(e più di zero): lunghezza della lista e attesa più lunga sono vuote",
    "n": "Numero di prenotazioni (o ricoveri) in garanzia nel periodo",
    "attesa_media": "Attesa media in giorni (1 decimale)",
    "attesa_mediana": "Attesa mediana in giorni",
    "attesa_p90": "90° percentile dell'attesa in giorni (rango più vicino)",
    "standard_giorni": "Tempo massimo di attesa (standard) in giorni",
    "quota_entro_standard": "Quota di prenotazioni con attesa entro lo standard (0-1)",
    "n_fuori_garanzia": "Prenotazioni fuori garanzia (controlli, scelta dell'utente, urgenze); "
                        "vuoto se tra 1 e la soglia di pubblicazione",
    "codice_reparto": "Codice del reparto",
    "nome_reparto": "Nome del reparto",
    "codice_patologia": "Codice della patologia o dell'intervento",
    "descrizione_patologia": "Descrizione della patologia o dell'intervento",
    "fuori_ordine": "Ricoveri del periodo fuori dall'ordine cronologico della lista",
    "in_attesa": "Persone in lista d'attesa alla fine del periodo",
    "attesa_massima_in_corso": "Attesa più lunga in corso alla fine del periodo, in giorni",
    "codice": "Codice del nomenclatore",
    "tariffa_euro": "Tariffa in euro",
}

TIPI_FRICTIONLESS = {pl.String: "string", pl.Int64: "integer", pl.Float64: "number",
                     pl.Boolean: "boolean"}


@dataclass
class EsitoSito:
    cartella: Path
    index: Path
    periodo: str
    pagine: int
    file: int
    secondi: float
    avvisi: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pagina:
    percorso: str
    template: str
    titolo: str
    contesto: dict[str, Any]


# -- small pure helpers ---------------------------------------------------------------------

def slug(codice: str) -> str:
    """A file name for a code: the code itself when it is safe, else a safe form + a hash
    (two codes never share a slug; the writer would refuse them anyway)."""
    sicuro = re.sub(r"[^A-Za-z0-9._-]", "_", codice)
    if sicuro != codice or sicuro.startswith(".") or not sicuro:
        sicuro = f"{sicuro.lstrip('.')}-{hashlib.sha1(codice.encode()).hexdigest()[:8]}"
    return sicuro


def numero(valore: float | int | None, decimali: int = 1) -> str:
    """Italian number: decimal comma, dot for thousands."""
    if valore is None:
        return "—"
    if isinstance(valore, int):
        return f"{valore:,}".replace(",", ".")
    testo = f"{valore:,.{decimali}f}"
    return testo.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def giorni(valore: float | int | None) -> str:
    if valore is None:
        return "—"
    if isinstance(valore, float) and valore.is_integer():
        valore = int(valore)
    return numero(valore, 1)


def percentuale(quota: float | None) -> str:
    if quota is None:
        return "—"
    return f"{numero(quota * 100, 1)} %"


def data_it(giorno: date | None) -> str:
    if giorno is None:
        return "nessun dato"
    return f"{giorno.day} {MESI[giorno.month - 1]} {giorno.year}"


def _descrivi_regola(regola: Regola, ricoveri: bool = False) -> str:
    parti = []
    for chiave, valore in regola.chiavi:
        if chiave == "tipo":
            parti.append(TIPI_PLURALE.get(valore, valore))
        elif chiave == "classe_priorita":
            parti.append(f"classe di priorità {valore if ricoveri else CLASSI.get(valore, valore)}")
        elif chiave == "codice_prestazione":
            parti.append(f"prestazione {valore}")
        elif chiave == "codice_reparto":
            parti.append(f"reparto {valore}")
        elif chiave == "codice_patologia":
            parti.append(f"patologia {valore}")
    return ", ".join(parti)


def standard_prestazione(profilo: Profilo, codice: str, tipo: str) -> list[tuple[str, int | None]]:
    """The targets that apply to one service: one, or one per priority class."""
    if not profilo.per_classe:
        return [("", profilo.standard(tipo=tipo, codice_prestazione=codice,
                                      classe_priorita=None))]
    return [(CLASSI[c], profilo.standard(tipo=tipo, codice_prestazione=codice,
                                         classe_priorita=c)) for c in ("U", "B", "D", "P")]


def _mesi(periodo: Periodo) -> list[str]:
    mesi, anno, mese = [], periodo.inizio.year, periodo.inizio.month
    while date(anno, mese, 1) < periodo.fine:
        mesi.append(f"{anno:04d}-{mese:02d}")
        anno, mese = (anno + 1, 1) if mese == 12 else (anno, mese + 1)
    return mesi


def _nome_mese(mese: str) -> str:
    anno, m = mese.split("-")
    return f"{MESI[int(m) - 1]} {anno}"


def grafico(punti: dict[str, dict[str, Any]], periodo: Periodo) -> dict[str, Any]:
    """Geometry of the monthly-trend bar chart (median wait) and its text alternative."""
    mesi = _mesi(periodo)
    valori = [p["attesa_mediana"] for p in punti.values() if p["attesa_mediana"] is not None]
    standard = {p["standard_giorni"] for p in punti.values() if p["standard_giorni"] is not None}
    linea = standard.pop() if len(standard) == 1 else None
    massimo = max([*valori, linea or 0, 1])
    larghezza, altezza, sinistra, basso, alto = 640, 220, 40, 30, 10
    passo = (larghezza - sinistra - 10) / max(len(mesi), 1)
    scala = (altezza - basso - alto) / massimo
    barre, testo = [], []
    for i, mese in enumerate(mesi):
        p = punti.get(mese)
        x = sinistra + i * passo
        voce: dict[str, Any] = {"x": round(x + passo * 0.15, 1), "w": round(passo * 0.7, 1),
                                "etichetta": MESI[int(mese[5:]) - 1][:3],
                                "xt": round(x + passo / 2, 1)}
        if p is None:
            testo.append(f"{_nome_mese(mese)}: nessuna prenotazione")
        elif p["soppresso"]:
            testo.append(f"{_nome_mese(mese)}: {DATI_INSUFFICIENTI}")
        else:
            h = p["attesa_mediana"] * scala
            voce.update(y=round(altezza - basso - h, 1), h=round(h, 1))
            testo.append(f"{_nome_mese(mese)}: {giorni(p['attesa_mediana'])} giorni")
        barre.append(voce)
    return {
        "larghezza": larghezza, "altezza": altezza, "base": altezza - basso,
        "sinistra": sinistra, "barre": barre, "massimo": giorni(massimo),
        "y_linea": round(altezza - basso - linea * scala, 1) if linea is not None else None,
        "linea": linea, "testo": "; ".join(testo) + ".",
    }


# -- the generators -------------------------------------------------------------------------

@dataclass
class Contesto:
    """What every generator may read."""

    pub: Pubblicazione
    profilo: Profilo
    settings: Settings
    soglia: int
    catalogo: list[dict[str, Any]]
    per_codice: dict[str, list[dict[str, Any]]]
    per_sede: dict[str, list[dict[str, Any]]]
    andamento: dict[str, dict[str, dict[str, Any]]]
    ricoveri: dict[str, list[dict[str, Any]]]
    sedi: dict[str, dict[str, Any]]
    reparti: list[dict[str, Any]]


def _righe(df: pl.DataFrame) -> list[dict[str, Any]]:
    out = df.to_dicts()
    for r in out:
        r["conformita"] = conformita(r.get("quota_entro_standard"), bool(r.get("soppresso")))
    return out


def _contesto(pub: Pubblicazione, profilo: Profilo, settings: Settings) -> Contesto:
    catalogo = []
    for r in pub.catalogo.to_dicts():
        r["href"] = f"prestazioni/{slug(r['codice'])}.html"
        r["tipo_etichetta"] = TIPI.get(r["tipo"], r["tipo"])
        r["branca"] = r["branca"] or SENZA_BRANCA
        catalogo.append(r)
    per_codice: dict[str, list[dict[str, Any]]] = {}
    per_sede: dict[str, list[dict[str, Any]]] = {}
    for r in _righe(pub.prestazioni.sort("codice_prestazione", "codice_sede",
                                         "classe_priorita", nulls_last=False)):
        r["href_sede"] = f"sedi/{slug(r['codice_sede'])}.html"
        r["href_prestazione"] = f"prestazioni/{slug(r['codice_prestazione'])}.html"
        per_codice.setdefault(r["codice_prestazione"], []).append(r)
        per_sede.setdefault(r["codice_sede"], []).append(r)
    andamento: dict[str, dict[str, dict[str, Any]]] = {}
    for r in pub.andamento.to_dicts():
        andamento.setdefault(r["codice_prestazione"], {})[r["mese"]] = r
    ricoveri: dict[str, list[dict[str, Any]]] = {}
    for r in _righe(pub.ricoveri):
        ricoveri.setdefault(r["codice_reparto"], []).append(r)
    sedi = {r["codice"]: {**r, "href": f"sedi/{slug(r['codice'])}.html"}
            for r in pub.sedi.to_dicts()}
    reparti = [{**r, "href": f"reparti/{slug(r['codice'])}.html"} for r in pub.reparti.to_dicts()]
    return Contesto(pub=pub, profilo=profilo, settings=settings,
                    soglia=settings.soglia_pubblicazione, catalogo=catalogo,
                    per_codice=per_codice, per_sede=per_sede, andamento=andamento,
                    ricoveri=ricoveri, sedi=sedi, reparti=reparti)


def _per_branca(voci: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    gruppi: dict[str, list[dict[str, Any]]] = {}
    for v in sorted(voci, key=lambda v: (v["branca"].casefold(), v["descrizione"].casefold())):
        gruppi.setdefault(v["branca"], []).append(v)
    return sorted(gruppi.items(), key=lambda kv: (kv[0] == SENZA_BRANCA, kv[0].casefold()))


def pagine_generali(c: Contesto) -> Iterator[Pagina]:
    branche = _per_branca(c.catalogo)
    yield Pagina("index.html", "home.html", "Tempi di attesa", {"branche": branche})
    yield Pagina("prestazioni/index.html", "indice.html", "Tutte le prestazioni",
                 {"branche": branche})
    yield Pagina("sedi/index.html", "elenco_sedi.html", "Sedi di erogazione",
                 {"sedi": list(c.sedi.values())})
    yield Pagina("reparti/index.html", "elenco_reparti.html", "Reparti: ricoveri programmati",
                 {"reparti": c.reparti})
    regole = [{"descrizione": _descrivi_regola(r), "giorni": r.giorni}
              for r in c.profilo.specialistica]
    regole_ricoveri = [{"descrizione": _descrivi_regola(r, ricoveri=True), "giorni": r.giorni}
                       for r in c.profilo.ricoveri]
    s = c.settings
    yield Pagina("diritti.html", "diritti.html", "I tuoi diritti", {
        "regole": regole, "regole_ricoveri": regole_ricoveri,
        "fuori_garanzia": sorted(c.profilo.classi_fuori_garanzia),
        "bonum": format_euro_it(cents(s.bonum)), "malum": format_euro_it(cents(s.malum)),
        "regime": s.regime_sanzioni, "preavviso_ore": s.preavviso_ore,
        "causali_esenti": s.causali_esenti,
        "periodiche_fuori_garanzia": c.profilo.periodiche_fuori_garanzia,
        "termine_ritiro_referto_giorni": s.termine_ritiro_referto_giorni,
        "upt": {"telefono": s.upt_telefono, "email": s.upt_email,
                "indirizzo": s.upt_indirizzo, "orari": s.upt_orari},
    })
    yield Pagina("metodologia.html", "metodologia.html", "Come leggere i dati", {
        "in_linea": percentuale(SOGLIA_IN_LINEA), "parziale": percentuale(SOGLIA_PARZIALE),
        "per_classe": c.profilo.per_classe})
    stampa = []
    for branca, voci in branche:
        righe = [r for v in voci for r in c.per_codice.get(v["codice"], [])]
        if righe:
            stampa.append((branca, righe))
    yield Pagina("registro-stampabile.html", "stampa.html", "Registro stampabile",
                 {"branche": stampa, "per_classe": c.profilo.per_classe})


def pagine_prestazioni(c: Contesto) -> Iterator[Pagina]:
    for p in c.catalogo:
        righe = c.per_codice.get(p["codice"], [])
        valutabili = sorted(
            (r for r in righe if not r["soppresso"] and r["quota_entro_standard"] is not None),
            key=lambda r: (-r["quota_entro_standard"], r["attesa_mediana"], r["codice_sede"]))
        classifica: list[dict[str, Any]] = []
        for r in valutabili:
            if r["codice_sede"] not in {x["codice_sede"] for x in classifica}:
                classifica.append(r)
        punti = c.andamento.get(p["codice"], {})
        andamento = [{**punti[m], "mese": _nome_mese(m)} if m in punti
                     else {"mese": _nome_mese(m), "n": None, "soppresso": False, "vuoto": True}
                     for m in _mesi(c.pub.periodo)]
        yield Pagina(p["href"], "prestazione.html", p["descrizione"], {
            "p": p, "tariffa": euro(p["tariffa_cent"]) if p["tariffa_cent"] is not None
            else None,
            "standard": standard_prestazione(c.profilo, p["codice"], p["tipo"]),
            "righe": righe, "migliore": classifica[0] if classifica else None,
            "alternativa": classifica[1] if len(classifica) > 1 else None,
            "grafico": grafico(punti, c.pub.periodo) if punti else None,
            "andamento": andamento, "per_classe": c.profilo.per_classe,
        })


def pagine_sedi(c: Contesto) -> Iterator[Pagina]:
    descrizioni = {p["codice"]: p for p in c.catalogo}
    for codice, sede in c.sedi.items():
        righe = sorted(c.per_sede.get(codice, []), key=lambda r: (
            (r["branca"] or SENZA_BRANCA).casefold(), r["descrizione"] or "",
            r["classe_priorita"] or ""))
        for r in righe:
            r["descrizione"] = r["descrizione"] or descrizioni.get(
                r["codice_prestazione"], {}).get("descrizione", r["codice_prestazione"])
        reparti = [r for r in c.reparti if r["presidio"] == codice]
        yield Pagina(sede["href"], "sede.html", sede["nome"], {
            "sede": sede, "righe": righe, "reparti": reparti,
            "per_classe": c.profilo.per_classe})


def pagine_reparti(c: Contesto) -> Iterator[Pagina]:
    for reparto in c.reparti:
        presidio = c.sedi.get(reparto["presidio"] or "")
        yield Pagina(reparto["href"], "reparto.html", reparto["nome"], {
            "reparto": reparto, "presidio": presidio,
            "righe": c.ricoveri.get(reparto["codice"], [])})


def pagina_open_data(c: Contesto, risorse: list[dict[str, Any]]) -> Pagina:
    return Pagina("open-data.html", "open_data.html", "Dati aperti", {"risorse": risorse})


# -- open data ------------------------------------------------------------------------------

def _tabelle_aperte(pub: Pubblicazione) -> dict[str, pl.DataFrame]:
    catalogo = pub.catalogo.select(
        "codice", "descrizione", "tipo", "branca",
        pl.col("tariffa_cent").map_elements(format_euro, return_dtype=pl.String)
        .alias("tariffa_euro"),
    ).select(COLONNE_CATALOGO)
    return {"prestazioni": pub.prestazioni, "andamento": pub.andamento,
            "ricoveri": pub.ricoveri, "catalogo": catalogo}


def scrivi_dati_aperti(scrittore: Scrittore, pub: Pubblicazione, settings: Settings,
                       oggi: date) -> list[dict[str, Any]]:
    """CSV + JSON of every published table and the Frictionless `datapackage.json`."""
    risorse = []
    for chiave, df in _tabelle_aperte(pub).items():
        nome, titolo = FILE_DATI[chiave]
        csv_path = f"dati/{nome}.csv"
        scrivi_csv(df, scrittore.riserva(csv_path))
        scrivi_json(df, scrittore.riserva(f"dati/{nome}.json"))
        campi = []
        for colonna, dtype in df.schema.items():
            tipo = "number" if colonna == "tariffa_euro" else TIPI_FRICTIONLESS.get(
                type(dtype), "string")
            campi.append({"name": colonna, "type": tipo,
                          "description": DESCRIZIONI_CAMPI.get(colonna, colonna)})
        risorse.append({
            "name": nome.replace("_", "-"), "title": titolo, "path": f"{nome}.csv",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": campi, "missingValues": [""]},
            "righe": df.height, "csv": csv_path, "json": f"dati/{nome}.json",
        })
    pacchetto = {
        "name": "registro-tempi-attesa",
        "title": f"Tempi di attesa — {settings.ente}",
        "description": (f"Tempi di attesa delle prestazioni specialistiche e dei ricoveri "
                        f"programmati, periodo {pub.periodo.etichetta}, dati al "
                        f"{pub.data_dati.isoformat() if pub.data_dati else 'n.d.'}. "
                        f"Solo dati aggregati; le celle con meno di "
                        f"{settings.soglia_pubblicazione} casi sono soppresse."),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "created": f"{oggi.isoformat()}T00:00:00Z",
        "resources": [{k: v for k, v in r.items() if k not in ("righe", "csv", "json")}
                      for r in risorse],
    }
    scrittore.testo("dati/datapackage.json",
                    json.dumps(pacchetto, ensure_ascii=False, indent=2) + "\n")
    return risorse


# -- assets ---------------------------------------------------------------------------------

def copia_risorse(scrittore: Scrittore) -> None:
    if not (BOOTSTRAP_ITALIA / "css" / "bootstrap-italia.min.css").is_file():
        raise ErroreUtente("Bootstrap Italia non installato: eseguire `make setup`")
    dest = "static/bootstrap-italia"
    scrittore.copia(BOOTSTRAP_ITALIA / "css" / "bootstrap-italia.min.css",
                    f"{dest}/css/bootstrap-italia.min.css")
    scrittore.copia(BOOTSTRAP_ITALIA / "svg" / "sprites.svg", f"{dest}/svg/sprites.svg")
    fonts = BOOTSTRAP_ITALIA / "fonts" / "Titillium_Web"
    for f in sorted(fonts.iterdir()):
        if f.suffix in (".woff2", ".woff", ".txt"):
            scrittore.copia(f, f"{dest}/fonts/Titillium_Web/{f.name}")
    for f in sorted(STATIC.iterdir()):
        if f.is_file():
            scrittore.copia(f, f"static/{f.name}")


def indice_ricerca(c: Contesto) -> str:
    """The search index as a script (a `fetch` of JSON is refused on file://)."""
    voci = [{"c": p["codice"], "d": p["descrizione"], "b": p["branca"], "u": p["href"]}
            for p in c.catalogo]
    return ("window.REGISTRO_INDICE = "
            + json.dumps(voci, ensure_ascii=True, separators=(",", ":")) + ";\n")


# -- the build ------------------------------------------------------------------------------

def ambiente() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(numero=numero, giorni=giorni, percentuale=percentuale, data_it=data_it,
                       euro_it=lambda d: format_euro_it(cents(d)) if d is not None else "—")
    env.globals.update(DATI_INSUFFICIENTI=DATI_INSUFFICIENTI, CLASSI=CLASSI)
    return env


def _genera(cartella: Path, *, pub: Pubblicazione, profilo: Profilo, settings: Settings,
            oggi: date) -> tuple[int, int]:
    scrittore = Scrittore(cartella)
    env = ambiente()
    c = _contesto(pub, profilo, settings)
    copia_risorse(scrittore)
    scrittore.testo("static/indice-ricerca.js", indice_ricerca(c))
    risorse = scrivi_dati_aperti(scrittore, pub, settings, oggi)
    sito = {
        "ente": settings.ente, "data_dati": data_it(pub.data_dati),
        "data_dati_iso": pub.data_dati.isoformat() if pub.data_dati else "",
        "periodo": pub.periodo.etichetta, "profilo": profilo.nome, "soglia": c.soglia,
        "generato_il": data_it(oggi),
        "accessibilita": settings.url_dichiarazione_accessibilita,
        "privacy": settings.url_privacy, "note_legali": settings.url_note_legali,
    }
    pagine = 0
    generatori = [pagine_generali(c), pagine_prestazioni(c), pagine_sedi(c), pagine_reparti(c),
                  iter([pagina_open_data(c, risorse)])]
    for generatore in generatori:
        for pagina in generatore:
            root = "../" * pagina.percorso.count("/")
            html = env.get_template(pagina.template).render(
                sito=sito, root=root, titolo=pagina.titolo, percorso=pagina.percorso,
                **pagina.contesto)
            scrittore.testo(pagina.percorso, html)
            pagine += 1
    scrittore.testo(MARCATORE, "Sito generato da `registro site build`: questa cartella "
                               "viene sostituita a ogni generazione.\n")
    return pagine, len(scrittore.scritti)


def _scambia(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False when the
    system cannot."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _pubblica(nuovo: Path, out: Path) -> None:
    """Put the new site at `out`. A reader sees the old site or the new one, never half of
    one: with an atomic exchange there is not even a moment without a site. Afterwards the
    old site is at `nuovo` (the caller removes it)."""
    if not out.exists():
        nuovo.rename(out)
        return
    if _scambia(nuovo, out):
        return
    vecchio = out.parent / f".{out.name}.vecchio-{uuid.uuid4().hex[:8]}"
    out.rename(vecchio)
    nuovo.rename(out)
    shutil.rmtree(vecchio, ignore_errors=True)


@contextlib.contextmanager
def _un_build_alla_volta(out: Path) -> Iterator[None]:
    """An exclusive lock beside the site: a second build waits instead of removing the
    first one's work in progress (released by the kernel if the process dies)."""
    import fcntl

    with open(out.parent / f".{out.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _ripristina(out: Path) -> None:
    """After a build killed mid-way: drop half-built folders; if the fallback swap was cut
    between its two renames, put the old site back."""
    for resto in out.parent.glob(f".{out.name}.nuovo-*"):
        shutil.rmtree(resto, ignore_errors=True)
    vecchi = sorted(out.parent.glob(f".{out.name}.vecchio-*"))
    if vecchi and not out.exists():
        vecchi.pop().rename(out)
    for resto in vecchi:
        shutil.rmtree(resto, ignore_errors=True)


def build_site(*, engine: Engine, settings: Settings, out: Path, periodo: Periodo | None = None,
               oggi: date | None = None) -> EsitoSito:
    """Build the public site into `out` (replaced whole, atomically); returns what was done."""
    t0 = time.perf_counter()
    oggi = oggi or date.today()
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARCATORE).exists())):
        raise ErroreUtente(f"{out}: esiste e non è un sito generato da registro; scegliere una "
                           "cartella nuova o vuota")
    if not (BOOTSTRAP_ITALIA / "css" / "bootstrap-italia.min.css").is_file():
        raise ErroreUtente("Bootstrap Italia non installato: eseguire `make setup`")
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    registri = leggi(engine, settings)
    periodo = periodo or periodo_predefinito(registri.prenotazioni, oggi)
    pub = pubblica(registri, profilo=profilo, periodo=periodo,
                   soglia=settings.soglia_pubblicazione)

    out.parent.mkdir(parents=True, exist_ok=True)
    with _un_build_alla_volta(out):
        _ripristina(out)
        nuovo = Path(tempfile.mkdtemp(prefix=f".{out.name}.nuovo-", dir=out.parent))
        try:
            os.chmod(nuovo, 0o755)
            pagine, file = _genera(nuovo, pub=pub, profilo=profilo, settings=settings,
                                   oggi=oggi)
            _pubblica(nuovo, out)
        finally:
            shutil.rmtree(nuovo, ignore_errors=True)

    avvisi = [f"impostazione `{nome}` non configurata: il collegamento manca nel piè di pagina"
              for nome in ("url_dichiarazione_accessibilita", "url_privacy", "url_note_legali")
              if getattr(settings, nome) is None]
    if not any((settings.upt_telefono, settings.upt_email, settings.upt_indirizzo)):
        avvisi.append("contatti dell'Ufficio di Pubblica Tutela non configurati (upt_*)")
    return EsitoSito(cartella=out, index=out / "index.html", periodo=periodo.etichetta,
                     pagine=pagine, file=file, secondi=time.perf_counter() - t0, avvisi=avvisi)

