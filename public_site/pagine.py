"""The page generators: from the published tables to one typed context per page.

`prepara` arranges the published tables once (rows by service, by site, by ward, with their
links); each generator then yields the pages of one type (`contesti.Pagina`), in a fixed
order, for the writer. Nothing is written here and nothing is rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from public_site.contesti import (
    Branche,
    ContattiCup,
    ContattiUpt,
    ContestoAccessibilita,
    ContestoAvvertenze,
    ContestoDiritti,
    ContestoElencoReparti,
    ContestoElencoSedi,
    ContestoHome,
    ContestoIndice,
    ContestoMetodologia,
    ContestoOpenData,
    ContestoPrestazione,
    ContestoReparto,
    ContestoSede,
    ContestoStampa,
    Pagina,
    RegolaDescritta,
    Reparto,
    Riga,
    Risorsa,
    Sede,
    VocePrestazione,
)
from public_site.dati import Pubblicazione
from public_site.formato import (
    CLASSI,
    SENZA_BRANCA,
    TIPI,
    TIPI_PLURALE,
    causale,
    data_it,
    nome_mese,
)
from public_site.grafici import grafico, mesi_del_periodo
from registro.formato import percentuale
from registro.importi import Importi, importi, quota_fissa_cent
from registro.money import cents, euro, format_euro_it
from registro.settings import Settings
from registro.soppressione import SOGLIA_IN_LINEA, SOGLIA_PARZIALE, conformita
from registro.standards import Profilo, Regola


def slug(codice: str) -> str:
    """A file name for a code: the code itself when it is safe, else a safe form + a hash
    (two codes never share a slug; the writer would refuse them anyway)."""
    sicuro = re.sub(r"[^A-Za-z0-9._-]", "_", codice)
    if sicuro != codice or sicuro.startswith(".") or not sicuro:
        sicuro = f"{sicuro.lstrip('.')}-{hashlib.sha1(codice.encode()).hexdigest()[:8]}"
    return sicuro


def descrivi_regola(regola: Regola, ricoveri: bool = False) -> str:
    """A target rule in words ('visite specialistiche, classe di priorità B (breve)')."""
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


@dataclass(frozen=True)
class DatiSito:
    """The published tables arranged once for the generators: what every generator reads."""

    pub: Pubblicazione
    profilo: Profilo
    settings: Settings
    catalogo: list[VocePrestazione]
    per_codice: dict[str, list[Riga]]
    per_sede: dict[str, list[Riga]]
    """The rows of `dati.COLONNE_REGISTRO` by service and by site: every site that delivers
    the service, with or without bookings in the period (`prenotazioni_nel_periodo`)."""
    registro: dict[str, list[Riga]]
    """By service, every row of the register, the service without a site included."""
    importi: dict[str, Importi]
    """What the citizen pays, by service code."""
    andamento: dict[str, dict[str, Riga]]
    """Monthly points by service code, then by month ('AAAA-MM')."""
    ricoveri: dict[str, list[Riga]]
    sedi: dict[str, Sede]
    reparti: list[Reparto]


def _righe(df: pl.DataFrame) -> list[Riga]:
    out = df.to_dicts()
    for r in out:
        r["conformita"] = conformita(r.get("quota_entro_standard"), bool(r.get("soppresso")))
    return out


def prepara(pub: Pubblicazione, profilo: Profilo, settings: Settings) -> DatiSito:
    """Group the published rows by the page that shows them, and give each its links."""
    catalogo: list[VocePrestazione] = [
        {"codice": r["codice"], "descrizione": r["descrizione"], "tipo": r["tipo"],
         "branca": r["branca"] or SENZA_BRANCA, "tariffa_cent": r["tariffa_cent"],
         "href": f"prestazioni/{slug(r['codice'])}.html",
         "tipo_etichetta": TIPI.get(r["tipo"], r["tipo"])}
        for r in pub.catalogo.to_dicts()]
    importi_ = {p["codice"]: importi(p["tariffa_cent"], ticket_massimo=settings.ticket_massimo,
                                     quota_fissa_ricetta=settings.quota_fissa_ricetta)
                for p in catalogo}
    per_codice: dict[str, list[Riga]] = {}
    per_sede: dict[str, list[Riga]] = {}
    registro: dict[str, list[Riga]] = {}
    for r in _righe(pub.registro):
        r["href_prestazione"] = f"prestazioni/{slug(r['codice_prestazione'])}.html"
        r["importi"] = importi_[r["codice_prestazione"]]
        registro.setdefault(r["codice_prestazione"], []).append(r)
        if r["codice_sede"] is None:  # a service no site delivers: in the register only
            continue
        r["href_sede"] = f"sedi/{slug(r['codice_sede'])}.html"
        per_codice.setdefault(r["codice_prestazione"], []).append(r)
        per_sede.setdefault(r["codice_sede"], []).append(r)
    andamento: dict[str, dict[str, Riga]] = {}
    for r in pub.andamento.to_dicts():
        andamento.setdefault(r["codice_prestazione"], {})[r["mese"]] = r
    ricoveri: dict[str, list[Riga]] = {}
    for r in _righe(pub.ricoveri):
        ricoveri.setdefault(r["codice_reparto"], []).append(r)
    sedi: dict[str, Sede] = {
        r["codice"]: {"codice": r["codice"], "nome": r["nome"], "comune": r["comune"],
                      "indirizzo": r["indirizzo"], "href": f"sedi/{slug(r['codice'])}.html"}
        for r in pub.sedi.to_dicts()}
    reparti: list[Reparto] = [
        {"codice": r["codice"], "nome": r["nome"], "presidio": r["presidio"],
         "href": f"reparti/{slug(r['codice'])}.html"}
        for r in pub.reparti.to_dicts()]
    return DatiSito(pub=pub, profilo=profilo, settings=settings, catalogo=catalogo,
                    per_codice=per_codice, per_sede=per_sede, registro=registro,
                    importi=importi_, andamento=andamento, ricoveri=ricoveri, sedi=sedi,
                    reparti=reparti)


def per_branca(voci: list[VocePrestazione]) -> Branche:
    """Services grouped by branch, alphabetically; services without a branch last."""
    gruppi: dict[str, list[VocePrestazione]] = {}
    for v in sorted(voci, key=lambda v: (v["branca"].casefold(), v["descrizione"].casefold())):
        gruppi.setdefault(v["branca"], []).append(v)
    return sorted(gruppi.items(), key=lambda kv: (kv[0] == SENZA_BRANCA, kv[0].casefold()))


def pagine_generali(d: DatiSito) -> Iterator[Pagina]:
    """Home, the lists of services, sites and wards, rights, method and the printable
    register."""
    branche = per_branca(d.catalogo)
    yield Pagina("index.html", "Tempi di attesa", ContestoHome(branche=branche))
    yield Pagina("prestazioni/index.html", "Tutte le prestazioni",
                 ContestoIndice(branche=branche))
    yield Pagina("sedi/index.html", "Sedi di erogazione",
                 ContestoElencoSedi(sedi=list(d.sedi.values())))
    yield Pagina("reparti/index.html", "Reparti: ricoveri programmati",
                 ContestoElencoReparti(reparti=d.reparti))
    s = d.settings
    yield Pagina("diritti.html", "I tuoi diritti", ContestoDiritti(
        regole=[RegolaDescritta(descrivi_regola(r), r.giorni) for r in d.profilo.specialistica],
        regole_ricoveri=[RegolaDescritta(descrivi_regola(r, ricoveri=True), r.giorni)
                         for r in d.profilo.ricoveri],
        fuori_garanzia=sorted(d.profilo.classi_fuori_garanzia),
        bonum=format_euro_it(cents(s.bonum)), malum=format_euro_it(cents(s.malum)),
        regime=s.regime_sanzioni, carta=d.profilo.nome.startswith("carta1995"),
        preavviso_ore=s.preavviso_ore,
        causali_esenti=sorted({causale(c) for c in s.causali_esenti if c.strip()}),
        periodiche_fuori_garanzia=d.profilo.periodiche_fuori_garanzia,
        termine_ritiro_referto_giorni=s.termine_ritiro_referto_giorni,
        upt=ContattiUpt(telefono=s.upt_telefono, email=s.upt_email,
                        indirizzo=s.upt_indirizzo, orari=s.upt_orari),
        cup=ContattiCup(telefono=s.cup_telefono, orari=s.cup_orari)))
    if s.url_dichiarazione_accessibilita is None:
        yield Pagina("accessibilita.html", "Dichiarazione di accessibilità",
                     ContestoAccessibilita(
                         stato=s.accessibilita_stato, email=s.accessibilita_email,
                         verificata_il=(data_it(s.accessibilita_verificata_il)
                                        if s.accessibilita_verificata_il else None)))
    yield Pagina("metodologia.html", "Come leggere i dati", ContestoMetodologia(
        in_linea=percentuale(SOGLIA_IN_LINEA), parziale=percentuale(SOGLIA_PARZIALE),
        per_classe=d.profilo.per_classe))
    yield pagina_stampa(d, branche)
    yield Pagina("avvertenze-prenotazione.html", "Avvertenze del foglio di prenotazione",
                 ContestoAvvertenze(
                     regime=s.regime_sanzioni, bonum=format_euro_it(cents(s.bonum)),
                     malum=format_euro_it(cents(s.malum)), preavviso_ore=s.preavviso_ore,
                     termine_ritiro_referto_giorni=s.termine_ritiro_referto_giorni,
                     cup=ContattiCup(telefono=s.cup_telefono, orari=s.cup_orari)))


def pagina_stampa(d: DatiSito, branche: Branche) -> Pagina:
    """The printable register (Carta §5.1 and §4.3): every service of the catalog at every
    site that delivers it, with waits and amounts, then the planned admissions ward by
    ward."""
    quota = quota_fissa_cent(d.settings.quota_fissa_ricetta)
    return Pagina("registro-stampabile.html", "Registro stampabile", ContestoStampa(
        branche=[(branca, [r for v in voci for r in d.registro.get(v["codice"], [])])
                 for branca, voci in branche],
        per_classe=d.profilo.per_classe,
        ricoveri=[(reparto, d.ricoveri.get(reparto["codice"], [])) for reparto in d.reparti],
        ticket_massimo=euro(cents(d.settings.ticket_massimo)),
        quota_fissa=euro(quota) if quota is not None else None))


def _classifica(righe: list[Riga]) -> list[Riga]:
    """Sites by share within target (then median, then code), each site once: the first is
    the advice, the second the alternative. Suppressed cells are never ranked."""
    valutabili = sorted(
        (r for r in righe if not r["soppresso"] and r["quota_entro_standard"] is not None),
        key=lambda r: (-r["quota_entro_standard"], r["attesa_mediana"], r["codice_sede"]))
    classifica: list[Riga] = []
    for r in valutabili:
        if r["codice_sede"] not in {x["codice_sede"] for x in classifica}:
            classifica.append(r)
    return classifica


ORDINE_CLASSI = {"U": 0, "B": 1, "D": 2, "P": 3}


def per_attesa(righe: list[Riga]) -> list[Riga]:
    """A service's sites by the wait, best first: by priority class (a citizen reads the
    class on the prescription), then the median wait, the 90th percentile, the share within
    target (higher first) and the site's name; suppressed cells last, by name."""
    def chiave(r: Riga) -> tuple[Any, ...]:
        soppresso = bool(r["soppresso"]) or r["attesa_mediana"] is None
        return (ORDINE_CLASSI.get(r["classe_priorita"] or "", 9), soppresso,
                0 if soppresso else r["attesa_mediana"],
                0 if soppresso or r["attesa_p90"] is None else r["attesa_p90"],
                0 if soppresso or r["quota_entro_standard"] is None
                else -r["quota_entro_standard"],
                (r["nome_sede"] or "").casefold(), r["codice_sede"])
    return sorted(righe, key=chiave)


def pagine_prestazioni(d: DatiSito) -> Iterator[Pagina]:
    """One page per service of the catalog, with or without bookings."""
    for p in d.catalogo:
        righe = d.per_codice.get(p["codice"], [])
        classifica = _classifica(righe)
        punti = d.andamento.get(p["codice"], {})
        andamento: list[Riga] = [
            {**punti[m], "mese": nome_mese(m)} if m in punti
            else {"mese": nome_mese(m), "n": None, "soppresso": False, "vuoto": True}
            for m in mesi_del_periodo(d.pub.periodo)]
        importi_ = d.importi[p["codice"]]
        yield Pagina(p["href"], p["descrizione"], ContestoPrestazione(
            p=p, tariffa=importi_.tariffa, ticket=importi_.ticket,
            ticket_massimo=euro(cents(d.settings.ticket_massimo)),
            quota_fissa=importi_.quota_fissa,
            standard=standard_prestazione(d.profilo, p["codice"], p["tipo"]),
            righe=per_attesa(righe), migliore=classifica[0] if classifica else None,
            alternativa=classifica[1] if len(classifica) > 1 else None,
            grafico=grafico(punti, d.pub.periodo) if punti else None,
            andamento=andamento, per_classe=d.profilo.per_classe))


def pagine_sedi(d: DatiSito) -> Iterator[Pagina]:
    """One page per site: its services and the wards of its hospital."""
    descrizioni = {p["codice"]: p["descrizione"] for p in d.catalogo}
    quota = quota_fissa_cent(d.settings.quota_fissa_ricetta)
    for codice, sede in d.sedi.items():
        ordinate = sorted(d.per_sede.get(codice, []), key=lambda r: (
            (r["branca"] or SENZA_BRANCA).casefold(), r["descrizione"] or "",
            r["classe_priorita"] or ""))
        righe = [{**r, "descrizione": r["descrizione"] or descrizioni.get(
                      r["codice_prestazione"], r["codice_prestazione"])} for r in ordinate]
        reparti = [r for r in d.reparti if r["presidio"] == codice]
        yield Pagina(sede["href"], sede["nome"], ContestoSede(
            sede=sede, righe=righe, reparti=reparti, per_classe=d.profilo.per_classe,
            ticket_massimo=euro(cents(d.settings.ticket_massimo)),
            quota_fissa=euro(quota) if quota is not None else None))


def pagine_reparti(d: DatiSito) -> Iterator[Pagina]:
    """One page per ward: planned admissions by condition and priority class."""
    for reparto in d.reparti:
        yield Pagina(reparto["href"], reparto["nome"], ContestoReparto(
            reparto=reparto, presidio=d.sedi.get(reparto["presidio"] or ""),
            righe=d.ricoveri.get(reparto["codice"], [])))


def pagina_open_data(risorse: list[Risorsa]) -> Pagina:
    return Pagina("open-data.html", "Dati aperti", ContestoOpenData(risorse=risorse))


def indice_ricerca(d: DatiSito) -> str:
    """The search index as a script (a `fetch` of JSON is refused on file://)."""
    voci: list[dict[str, Any]] = [
        {"c": p["codice"], "d": p["descrizione"], "b": p["branca"], "u": p["href"]}
        for p in d.catalogo]
    return ("window.REGISTRO_INDICE = "
            + json.dumps(voci, ensure_ascii=True, separators=(",", ":")) + ";\n")
