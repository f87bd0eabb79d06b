"""The public site read by a person: the build's date apart from the data's, "I tuoi diritti"
in plain words for both regimes, missing contacts as warnings and neutral sentences, the
accessibility statement, privacy and legal notes in the footer (both databases)."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from supporto.sito import GOLDEN_OGGI, GOLDEN_PERIODO, registro_golden

from public_site.build import EsitoSito, build_site
from registro.periodo import Periodo

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

GENERATO = datetime(2026, 4, 20, 18, 7)


def _costruisci(tmp_path: Path, db_url: str, nome: str = "sito",
                generato: datetime | None = GENERATO, **modifiche: Any) -> EsitoSito:
    engine, settings = registro_golden(tmp_path / "registro", db_url)
    try:
        return build_site(engine=engine, settings=settings.model_copy(update=modifiche),
                          out=tmp_path / nome, periodo=Periodo.parse(GOLDEN_PERIODO),
                          oggi=date.fromisoformat(GOLDEN_OGGI), generato=generato)
    finally:
        engine.dispose()


def _testo(pagina: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", pagina)))


def test_generation_time_is_the_build_s_own_not_the_data_s(db_url: str,
                                                            tmp_path: Path) -> None:
    esito = _costruisci(tmp_path, db_url)
    home = esito.index.read_text(encoding="utf-8")
    assert "pagina generata il 20 aprile 2026 alle 18.07" in home
    assert "Dati aggiornati al" in home and "15 aprile 2026" not in home
    reale = _costruisci(tmp_path, db_url, nome="sito-reale", generato=None)
    oggi = date.today()
    assert f"pagina generata il {oggi.day} " in reale.index.read_text(encoding="utf-8")


def test_rights_in_plain_words_under_the_carta(db_url: str, tmp_path: Path) -> None:
    esito = _costruisci(tmp_path, db_url)
    testo = _testo((esito.cartella / "diritti.html").read_text(encoding="utf-8"))
    assert "bonum" in testo and "bonus" not in testo.lower()
    assert "una somma di € 25,82" in testo
    for chiave in ("carta1995", "pngla", "dl73", "«emergenza»", "emergenza (", "upt_"):
        assert chiave not in testo, chiave
    assert "Se l'attesa supera il tempo massimo" in testo
    assert "800 000 000" in testo and "0331 000000" in testo
    assert "Per una segnalazione all'UPT:" in testo
    assert " giorni giorni" not in testo


def test_rights_under_the_national_plan_and_without_contacts(db_url: str,
                                                             tmp_path: Path) -> None:
    esito = _costruisci(tmp_path, db_url, profilo="pngla", regime_sanzioni="dl73",
                        upt_telefono=None, upt_email=None, upt_indirizzo=None,
                        cup_telefono=None)
    testo = _testo((esito.cartella / "diritti.html").read_text(encoding="utf-8"))
    assert "percorso di tutela" in testo and "bonum" not in testo
    assert "Piano nazionale di governo delle liste d'attesa" in testo
    assert "pngla" not in testo and "Per una segnalazione" not in testo
    assert "I recapiti dell'UPT sono sul sito istituzionale di ASL di esempio" in testo
    assert "I recapiti del CUP sono sul sito istituzionale" in testo
    avvisi = " ".join(esito.avvisi)
    assert "Ufficio di Pubblica Tutela" in avvisi and "cup_telefono" in avvisi
    prestazione = _testo((esito.cartella / "prestazioni" / "89.7A.3.html").read_text(
        encoding="utf-8"))
    assert "pngla" not in prestazione
    assert "Standard Piano nazionale di governo delle liste d'attesa" in prestazione


def test_footer_accessibility_statement_privacy_and_legal_notes(db_url: str,
                                                                tmp_path: Path) -> None:
    esito = _costruisci(tmp_path, db_url, url_privacy=None, url_note_legali=None,
                        accessibilita_verificata_il=None)
    pagina = (esito.cartella / "prestazioni" / "89.7A.3.html").read_text(encoding="utf-8")
    assert 'href="../accessibilita.html"' in pagina
    assert ("L'informativa sulla privacy e le note legali sono sul sito istituzionale di "
            "ASL di esempio.") in pagina
    dichiarazione = _testo((esito.cartella / "accessibilita.html").read_text(encoding="utf-8"))
    assert "parzialmente conforme" in dichiarazione
    assert "accessibilita@example.org" in dichiarazione
    assert "la data dell'ultima verifica dell'Azienda non è ancora indicata" in dichiarazione
    avvisi = " ".join(esito.avvisi)
    assert "url_privacy" in avvisi and "accessibilita_verificata_il" in avvisi

    altrove = _costruisci(tmp_path, db_url, nome="sito-url",
                          url_dichiarazione_accessibilita="https://form.agid.gov.it/x")
    assert not (altrove.cartella / "accessibilita.html").exists()
    home = altrove.index.read_text(encoding="utf-8")
    assert 'href="https://form.agid.gov.it/x"' in home
    assert 'href="https://www.example.org/privacy"' in home and "sito istituzionale" not in home
    assert not any("accessibilita" in a for a in altrove.avvisi)


def test_every_number_carries_its_unit(db_url: str, tmp_path: Path) -> None:
    esito = _costruisci(tmp_path, db_url)
    celle = 0
    for percorso in ["prestazioni/89.7A.3.html", "sedi/S001.html", "reparti/08.01.html",
                     "registro-stampabile.html"]:
        html = (esito.cartella / percorso).read_text(encoding="utf-8")
        for etichetta, valore in re.findall(r'<td data-label="([^"]+)">(.*?)</td>', html):
            valore = _testo(valore).strip()
            if valore in ("—", "dati insufficienti", "nessuna prenotazione"):
                continue
            celle += 1
            if etichetta in ("Mediana", "90° percentile", "Media", "Attesa massima (standard)",
                             "Attesa più lunga in corso"):
                assert re.fullmatch(r"[\d.,]+ giorn[oi]", valore), (percorso, etichetta, valore)
            elif etichetta == "Entro lo standard":
                assert re.fullmatch(r"[\d.,]+ %", valore), (percorso, etichetta, valore)
    assert celle > 20
