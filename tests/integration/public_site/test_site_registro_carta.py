"""The register as Carta §5.1 lists it, on the public site (both databases).

Checked against what the test computes itself from the CUP file it wrote (csv module and the
plain-Python oracle of tests/supporto/oracoli/stats.py), never against the site's own
tables: every service of the catalog at every site that delivers it, "nessuna prenotazione
nel periodo" where the site has none in the period, the mean wait beside the median, the
tariff, the ticket (min(tariff, ticket_massimo), Decimal) and the fixed quota per
prescription only when set; the printable register's admissions section (§4.3) and its
display places; the booking sheet's warnings with the configured amounts (§5.3, §5.6).
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from supporto.oracoli.stats import tabella as oracolo
from supporto.sito import GOLDEN_CATALOGO, GOLDEN_OGGI, GOLDEN_PERIODO, registro_golden

from public_site.build import build_site
from registro.periodo import Periodo
from registro.standards import CARTA1995

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

NESSUNA = "nessuna prenotazione nel periodo"
SEDI = {"S001": "Ospedale di Esempio", "S002": "Poliambulatorio Centro"}


def _costruisci(tmp_path: Path, db_url: str, nome: str = "sito", **modifiche: Any) -> Path:
    engine, settings = registro_golden(tmp_path / "registro", db_url)
    try:
        return build_site(engine=engine, settings=settings.model_copy(update=modifiche),
                          out=tmp_path / nome, periodo=Periodo.parse(GOLDEN_PERIODO),
                          oggi=date.fromisoformat(GOLDEN_OGGI),
                          generato=datetime(2026, 4, 16, 6, 5)).cartella
    finally:
        engine.dispose()


def _testo(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _righe_html(html: str) -> list[dict[str, str]]:
    """Each body row of the page's tables: its cells by column label (the row header as
    `intestazione`)."""
    righe = []
    for corpo in re.findall(r"<tbody>(.*?)</tbody>", html, re.S):
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", corpo, re.S):
            celle = {etichetta: _testo(v) for etichetta, v in
                     re.findall(r'<td[^>]*data-label="([^"]+)"[^>]*>(.*?)</td>', tr, re.S)}
            intestazione = re.search(r"<th[^>]*>(.*?)</th>", tr, re.S)
            if intestazione:
                celle["intestazione"] = _testo(intestazione.group(1))
            righe.append(celle)
    return righe


def _catalogo() -> dict[str, tuple[str, str, Decimal | None]]:
    """code -> (description, type, tariff) as the test's own catalog text has them."""
    lettore = csv.DictReader(GOLDEN_CATALOGO.splitlines())
    return {r["codice"]: (r["descrizione"], r["tipo"],
                          Decimal(r["tariffa"]) if r["tariffa"] else None) for r in lettore}


def _prenotazioni(tmp_path: Path) -> list[dict[str, Any]]:
    """The bookings of the CUP file the golden register was built from, as the oracle reads
    them."""
    catalogo = _catalogo()
    with open(tmp_path / "registro" / "cup.csv", encoding="utf-8", newline="") as fh:
        return [{"id_prenotazione": r["id_prenotazione"],
                 "data_prenotazione": datetime.fromisoformat(r["data_prenotazione"]),
                 "data_appuntamento": datetime.fromisoformat(r["data_appuntamento"]),
                 "codice_prestazione": r["codice_prestazione"], "codice_sede": r["codice_sede"],
                 "classe_priorita": r["classe_priorita"] or None,
                 "tipo_accesso": r["tipo_accesso"] or None,
                 "scelta_utente": r["scelta_utente"] == "1", "stato": r["stato"],
                 "tipo": catalogo[r["codice_prestazione"]][1]}
                for r in csv.DictReader(fh)]


def _giorni(valore: float) -> str:
    """An Italian wait: '7,9 giorni', '30 giorni', '1 giorno' (written here, not imported)."""
    testo = f"{valore:.1f}".replace(".", ",").removesuffix(",0")
    return f"{testo} giorno" if testo == "1" else f"{testo} giorni"


def _euro(importo: Decimal) -> str:
    return "€ " + f"{importo:.2f}".replace(".", ",")


def test_every_service_at_every_site_with_mean_and_amounts(db_url: str,
                                                           tmp_path: Path) -> None:
    sito = _costruisci(tmp_path, db_url)
    prenotazioni = _prenotazioni(tmp_path)
    periodo = Periodo.parse(GOLDEN_PERIODO)
    attese = {(r["codice_prestazione"], r["codice_sede"]): r
              for r in oracolo(prenotazioni, profilo=CARTA1995, periodo=periodo)}
    erogate = {(p["codice_prestazione"], p["codice_sede"]) for p in prenotazioni}
    catalogo = _catalogo()
    massimo = Decimal("36.15")
    assert any(c not in attese for c in erogate), "il registro di prova non ha sedi vuote"
    assert any(codice not in {c for c, _ in erogate} for codice in catalogo)

    stampa = _righe_html((sito / "registro-stampabile.html").read_text(encoding="utf-8"))
    servizi = [r for r in stampa if "Prestazione" in r]
    attese_confrontate = 0
    for codice, (descrizione, _, tariffa) in catalogo.items():
        righe = [r for r in servizi if r["Prestazione"] == f"{descrizione} ({codice})"]
        sedi_attese = sorted(SEDI[s] for c, s in erogate if c == codice) or ["—"]
        assert sorted(r["Sede"] for r in righe) == sedi_attese, codice
        for r in righe:
            assert r["Tariffa intera"] == (_euro(tariffa) if tariffa is not None
                                           else "tariffa non indicata")
            assert r["Ticket"] == (_euro(min(tariffa, massimo)) if tariffa is not None
                                   else "—")
            sede = next((s for s, nome in SEDI.items() if nome == r["Sede"]), None)
            oracolo_riga = attese.get((codice, sede or ""))
            if oracolo_riga is None:
                assert r["Tempi di attesa"] == NESSUNA and "Media" not in r, (codice, sede)
            elif oracolo_riga["n"] >= 5:
                assert r["Media"] == _giorni(oracolo_riga["attesa_media"]), (codice, sede)
                assert r["Mediana"] == _giorni(oracolo_riga["attesa_mediana"])
                attese_confrontate += 1
            else:
                assert r["Media"] == "dati insufficienti"
    assert attese_confrontate >= 3

    # the service's page and the site's page say it too
    ecg = _righe_html((sito / "prestazioni" / "89.52.html").read_text(encoding="utf-8"))
    assert {"intestazione": SEDI["S001"], "Tempi di attesa": NESSUNA} in ecg
    s001 = _righe_html((sito / "sedi" / "S001.html").read_text(encoding="utf-8"))
    glucosio = next(r for r in s001 if r["intestazione"] == "Glucosio (90.27.1)")
    assert glucosio["Tempi di attesa"] == NESSUNA and glucosio["Ticket"] == "€ 1,17"
    visita = next(r for r in s001 if r["intestazione"].endswith("(89.7A.3)"))
    oracolo_visita = attese[("89.7A.3", "S001")]
    assert visita["Media"] == _giorni(oracolo_visita["attesa_media"])
    assert visita["Mediana"] == _giorni(oracolo_visita["attesa_mediana"])

    # the open data: one row per service and site, the amounts as Decimal text
    with open(sito / "dati" / "registro_prestazioni.csv", encoding="utf-8") as fh:
        aperti = list(csv.DictReader(fh))
    chiavi = {(r["codice_prestazione"], r["codice_sede"]) for r in aperti}
    assert chiavi == erogate | {(c, "") for c in catalogo if c not in {x for x, _ in erogate}}
    for r in aperti:
        tariffa = catalogo[r["codice_prestazione"]][2]
        assert r["tariffa_euro"] == (f"{tariffa:.2f}" if tariffa is not None else "")
        if tariffa is not None:
            assert Decimal(r["ticket_euro"]) == min(tariffa, massimo)
        else:
            assert r["ticket_euro"] == ""
        assert r["quota_fissa_ricetta_euro"] == ""
        chiave = (r["codice_prestazione"], r["codice_sede"])
        if chiave not in attese:
            assert (r["prenotazioni_nel_periodo"], r["n"], r["attesa_media"]) == ("false", "0",
                                                                                  "")
        elif attese[chiave]["n"] >= 5:
            assert r["prenotazioni_nel_periodo"] == "true"
            assert float(r["attesa_media"]) == attese[chiave]["attesa_media"]
    with open(sito / "dati" / "catalogo_prestazioni.csv", encoding="utf-8") as fh:
        intestazione = fh.readline().strip().split(",")
    assert intestazione == ["codice", "descrizione", "tipo", "branca", "tariffa_euro",
                            "ticket_euro", "quota_fissa_ricetta_euro"]


def test_ticket_ceiling_and_fixed_quota_from_the_settings(db_url: str,
                                                          tmp_path: Path) -> None:
    predefinito = _costruisci(tmp_path, db_url)
    for pagina in ("registro-stampabile.html", "prestazioni/89.7A.3.html", "sedi/S001.html"):
        assert "quota fissa" not in _testo(
            (predefinito / pagina).read_text(encoding="utf-8")).lower(), pagina

    sito = _costruisci(tmp_path, db_url, nome="sito-quota", ticket_massimo=Decimal("20.00"),
                       quota_fissa_ricetta=Decimal("2.50"))
    stampa = (sito / "registro-stampabile.html").read_text(encoding="utf-8")
    assert "quota fissa regionale di € 2,50" in _testo(stampa)
    assert "la tariffa fino a € 20,00 per prestazione" in _testo(stampa)
    visite = [r for r in _righe_html(stampa) if r.get("Prestazione", "").endswith("(89.7A.3)")]
    assert visite and all((r["Tariffa intera"], r["Ticket"]) == ("€ 22,50", "€ 20,00")
                          for r in visite)
    glucosio = [r for r in _righe_html(stampa) if r.get("Prestazione", "").endswith("(90.27.1)")]
    assert glucosio and all(r["Ticket"] == "€ 1,17" for r in glucosio)
    scheda = _testo((sito / "prestazioni" / "89.7A.3.html").read_text(encoding="utf-8"))
    assert "Ticket € 20,00 (la tariffa, fino a € 20,00 per prestazione" in scheda
    assert "Quota fissa per ricetta € 2,50" in scheda
    senza = _testo((sito / "prestazioni" / "90.62.2.html").read_text(encoding="utf-8"))
    assert "Tariffa intera tariffa non indicata" in senza
    with open(sito / "dati" / "catalogo_prestazioni.csv", encoding="utf-8") as fh:
        catalogo = {r["codice"]: r for r in csv.DictReader(fh)}
    assert (catalogo["89.7A.3"]["ticket_euro"], catalogo["89.7A.3"]["quota_fissa_ricetta_euro"]
            ) == ("20.00", "2.50")
    assert catalogo["90.62.2"]["ticket_euro"] == ""


def test_printable_register_has_admissions_and_display_places(db_url: str,
                                                              tmp_path: Path) -> None:
    sito = _costruisci(tmp_path, db_url)
    html = (sito / "registro-stampabile.html").read_text(encoding="utf-8")
    testo = _testo(html)
    for luogo in ("centri di prenotazione (sportelli CUP)", "uffici informazioni",
                  "uffici per i rapporti con il cittadino (URP)", "medici di famiglia",
                  "farmacie"):
        assert luogo in testo, luogo
    assert "§5.1" in testo and "§4.3" in testo
    ricoveri = html[html.index('<section class="ricoveri-stampa">'):]
    assert "Cardiologia (08.01)" in _testo(ricoveri)
    assert "Chirurgia generale (09.01)" in _testo(ricoveri)
    righe = _righe_html(ricoveri)
    angioplastica = next(r for r in righe
                         if r["Patologia o intervento"].startswith("Angioplastica"))
    # the list of the golden register (tests/supporto/sito.py): 6 of 11 admitted after
    # 20 + 4·i days (i = 0..5), class B (60 days); 5 still waiting at the quarter's end
    assert angioplastica["Classe"] == "B"
    assert angioplastica["Attesa massima (standard)"] == "60 giorni"
    assert angioplastica["Media"] == _giorni(sum(20 + 4 * i for i in range(6)) / 6)
    assert angioplastica["In lista"] == "5"
    assert angioplastica["Attesa più lunga in corso"].endswith("giorni")
    assert 'href="avvertenze-prenotazione.html"' in html


def test_booking_sheet_warnings_show_the_configured_amounts(db_url: str,
                                                            tmp_path: Path) -> None:
    sito = _costruisci(tmp_path, db_url, bonum="30.00", malum="12.34", preavviso_ore=72,
                       termine_ritiro_referto_giorni=45)
    testo = _testo((sito / "avvertenze-prenotazione.html").read_text(encoding="utf-8"))
    assert "bonum di € 30,00" in testo and "malum di € 12,34" in testo
    assert "almeno 72 ore prima" in testo and "entro 45 giorni" in testo
    assert "(Carta dei servizi, §5.6; l'avvertenza è prevista dal §5.3)" in testo
    assert "non fissa un numero di ore: le 72 ore sono fissate dall'Azienda" in testo
    assert "«Tali sanzioni debbono essere espressamente indicati nel foglio di " \
           "prenotazione» (§5.6)" in testo
    assert "§5.5" not in testo.split("bonum")[1].split(")")[0]  # the bonum is §5.6
    assert "25,82" not in testo and "48 ore" not in testo

    dl73 = _costruisci(tmp_path, db_url, nome="sito-dl73", regime_sanzioni="dl73")
    testo = _testo((dl73 / "avvertenze-prenotazione.html").read_text(encoding="utf-8"))
    assert "bonum di" not in testo and "malum di" not in testo
    assert "D.L. 73/2024" in testo and "secondo giorno lavorativo" in testo


def test_register_under_the_national_plan_keeps_every_site(db_url: str,
                                                           tmp_path: Path) -> None:
    """Under pngla the rows are split by class; a site without bookings in the period is
    still one row, with no class, saying so."""
    sito = _costruisci(tmp_path, db_url, profilo="pngla")
    stampa = _righe_html((sito / "registro-stampabile.html").read_text(encoding="utf-8"))
    ecg = [r for r in stampa if r.get("Prestazione") == "Elettrocardiogramma (89.52)"]
    assert ecg == [{"Prestazione": "Elettrocardiogramma (89.52)", "Sede": SEDI["S001"],
                    "Classe": "—", "Tempi di attesa": NESSUNA, "Tariffa intera": "€ 11,62",
                    "Ticket": "€ 11,62"}]
    sede = _righe_html((sito / "sedi" / "S001.html").read_text(encoding="utf-8"))
    assert any(r.get("Tempi di attesa") == NESSUNA and r["Classe"] == "—" for r in sede)
