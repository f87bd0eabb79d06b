"""The public site, built from small registers on both databases: suppression at the
threshold, escaping, the data date, internal links, the writer, the atomic swap."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polars as pl
import pytest
from sqlalchemy import Engine
from supporto.prenotazioni import riga, scrivi_export
from supporto.sito import anagrafiche

import public_site.build as build_mod
from cup.catalogo import importa_catalogo
from cup.ingest import ingest
from public_site.build import MARCATORE, build_site, slug
from public_site.scrittore import PercorsoDuplicato, Scrittore
from registro.errors import ErroreUtente
from registro.periodo import Periodo
from registro.settings import Settings

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

PERIODO = Periodo.parse("2026-Q1")
OGGI = date(2026, 5, 4)
ATTESA = 173  # days: a number that appears nowhere else in the generated files
ATTESA_RICOVERO = 137
MALIZIOSO = '<script>alert(1)</script> e "virgolette"'
MALIZIOSO_CSV = '"' + MALIZIOSO.replace('"', '""') + '"'


def _generati(sito: Path) -> dict[str, str]:
    """Every file the build generated from the data (not the copied assets)."""
    return {p.relative_to(sito).as_posix(): p.read_text(encoding="utf-8")
            for p in sito.rglob("*")
            if p.is_file() and "bootstrap-italia" not in p.parts and p.suffix != ".css"
            and p.name != MARCATORE}


def _carica(engine: Engine, settings: Settings, tmp_path: Path, n: int) -> None:
    anagrafiche(engine, tmp_path)
    catalogo = tmp_path / "catalogo_locale.csv"
    catalogo.write_text("codice,descrizione,tipo,branca,tariffa\n"
                        f"99.99.1,{MALIZIOSO_CSV},visita,Prova,12.34\n",
                        encoding="utf-8")
    importa_catalogo(catalogo, engine=engine)
    giorno = datetime(2026, 2, 2, 10, 0)
    righe = [riga(f"P{i}", codice_prestazione="89.7A.3", codice_sede="S001",
                  data_prenotazione=giorno.isoformat(timespec="minutes"),
                  data_appuntamento=(giorno + timedelta(days=ATTESA)).isoformat(
                      timespec="minutes"),
                  stato="prenotata", id_assistito=f"A{i:07d}")
             for i in range(n)]
    righe.append(riga("X1", codice_prestazione="99.99.1", codice_sede="S002",
                      data_prenotazione="2026-01-12T09:00", data_appuntamento="2026-01-14T09:00"))
    ingest(scrivi_export(tmp_path / "cup.csv", righe), engine=engine, settings=settings)
    lista = ["id_ricovero,data_inserimento,codice_reparto,codice_patologia,"
             "descrizione_patologia,classe_priorita,stato,data_ricovero,id_assistito,"
             "aggiornato_il"]
    patologia = MALIZIOSO_CSV
    for i in range(n):
        lista.append(f"R{i},2025-10-01T09:00,08.01,36.10,{patologia},C,ricoverato,"
                     f"{(date(2025, 10, 1) + timedelta(days=ATTESA_RICOVERO)).isoformat()},"
                     f"B{i:07d},")
    (tmp_path / "ricoveri.csv").write_text("\n".join(lista) + "\n", encoding="utf-8")
    ingest(tmp_path / "ricoveri.csv", engine=engine, settings=settings, registro="ricoveri")


def _costruisci(engine: Engine, settings: Settings, tmp_path: Path, n: int) -> Path:
    _carica(engine, settings, tmp_path, n)
    esito = build_site(engine=engine, settings=settings, out=tmp_path / "sito",
                       periodo=PERIODO, oggi=OGGI)
    assert esito.index == tmp_path / "sito" / "index.html"
    return esito.cartella


@pytest.mark.parametrize(("n", "pubblicato"), [(4, False), (5, True)])
def test_suppression_at_the_threshold(engine: Engine, settings: Settings, tmp_path: Path,
                                      n: int, pubblicato: bool) -> None:
    assert settings.soglia_pubblicazione == 5
    sito = _costruisci(engine, settings, tmp_path, n)
    file = _generati(sito)
    numeri = re.compile(rf"(?<![\d.]){ATTESA}(?![\d])|(?<![\d.]){ATTESA_RICOVERO}(?![\d])")
    dove = sorted(p for p, testo in file.items() if numeri.search(testo))
    pagina = file["prestazioni/89.7A.3.html"]
    reparto = file["reparti/08.01.html"]
    csv = pl.read_csv(sito / "dati/tempi_attesa_prestazioni.csv",
                      schema_overrides={"codice_prestazione": pl.String})
    cella = csv.filter(pl.col("codice_prestazione") == "89.7A.3").row(0, named=True)
    mese = pl.read_csv(sito / "dati/andamento_mensile.csv",
                       schema_overrides={"codice_prestazione": pl.String}
                       ).filter(pl.col("codice_prestazione") == "89.7A.3").row(0, named=True)
    ricoveri = pl.read_csv(sito / "dati/tempi_attesa_ricoveri.csv",
                           schema_overrides={"codice_reparto": pl.String,
                                             "codice_patologia": pl.String}).row(0, named=True)
    if pubblicato:
        assert "dati/tempi_attesa_prestazioni.csv" in dove and "prestazioni/89.7A.3.html" in dove
        assert "reparti/08.01.html" in dove
        assert (cella["soppresso"], cella["n"], cella["attesa_mediana"]) == (False, 5, ATTESA)
        assert (mese["soppresso"], mese["n"], mese["attesa_mediana"]) == (False, 5, ATTESA)
        assert (ricoveri["soppresso"], ricoveri["n"]) == (False, 5)
        assert "dati insufficienti" not in pagina
    else:
        assert dove == [], f"un valore soppresso compare in {dove}"
        assert cella["soppresso"] is True
        assert all(cella[c] is None for c in ("n", "attesa_media", "attesa_mediana",
                                              "attesa_p90", "quota_entro_standard"))
        assert mese["soppresso"] is True and mese["n"] is None
        assert ricoveri["soppresso"] is True and ricoveri["n"] is None
        assert pagina.count("dati insufficienti") >= 5
        assert "dati insufficienti" in reparto
        assert re.search(r"Prenotazioni</th>.*?<td>\s*4\s*</td>", pagina, re.S) is None


def test_values_from_the_export_render_as_text(engine: Engine, settings: Settings,
                                               tmp_path: Path) -> None:
    sito = _costruisci(engine, settings, tmp_path, 5)
    file = _generati(sito)
    for percorso, testo in file.items():
        if percorso.endswith(".html"):
            assert "<script>alert(1)" not in testo, percorso
    pagina = file[f"prestazioni/{slug('99.99.1')}.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; e &#34;virgolette&#34;" in pagina
    assert "&lt;script&gt;alert(1)" in file["reparti/08.01.html"]
    assert "&lt;script&gt;alert(1)" in file["index.html"]
    # the search index is a script file: the text is a JSON string in it, not markup
    assert '"d":"<script>alert(1)</script> e \\"virgolette\\""' in file[
        "static/indice-ricerca.js"]


def test_every_page_has_the_data_date(engine: Engine, settings: Settings,
                                      tmp_path: Path) -> None:
    sito = _costruisci(engine, settings, tmp_path, 5)
    pagine = sorted(sito.rglob("*.html"))
    assert len(pagine) > 100
    for p in pagine:
        testo = p.read_text(encoding="utf-8")
        # latest record: the booking of 2 February 2026 (admissions were in February too)
        assert 'Dati aggiornati al <time datetime="2026-02-15">15 febbraio 2026</time>' in testo, p


class _Link(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.link: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for nome, valore in attrs:
            if nome in ("href", "src") and valore:
                self.link.append(valore)


def link_interni_rotti(sito: Path) -> list[str]:
    """Every href/src of every page that is not an external URL must be a file of the site."""
    rotti = []
    for pagina in sito.rglob("*.html"):
        parser = _Link()
        parser.feed(pagina.read_text(encoding="utf-8"))
        for link in parser.link:
            parti = urlsplit(link)
            if parti.scheme in ("http", "https", "mailto", "tel", "data") or link.startswith("#"):
                continue
            assert not parti.scheme and not parti.netloc, f"{pagina}: link assoluto {link}"
            bersaglio = (pagina.parent / unquote(parti.path)).resolve()
            if not bersaglio.is_file() or sito.resolve() not in bersaglio.parents:
                rotti.append(f"{pagina.relative_to(sito)} -> {link}")
    return rotti


def test_every_internal_link_resolves(engine: Engine, settings: Settings,
                                      tmp_path: Path) -> None:
    sito = _costruisci(engine, settings, tmp_path, 5)
    assert link_interni_rotti(sito) == []


def test_writer_refuses_a_path_twice(tmp_path: Path) -> None:
    s = Scrittore(tmp_path)
    s.testo("a/b.html", "uno")
    with pytest.raises(PercorsoDuplicato):
        s.testo("a/b.html", "due")
    with pytest.raises(PercorsoDuplicato):
        s.byte("a/./b.html", b"tre")
    assert (tmp_path / "a" / "b.html").read_text() == "uno"
    for fuori in ("../x.html", "/etc/x.html"):
        with pytest.raises(ValueError):
            s.testo(fuori, "x")


def test_slugs_are_distinct_and_safe() -> None:
    assert slug("89.7A.3") == "89.7A.3"
    assert slug("a/b") != slug("a_b") and "/" not in slug("a/b")
    assert not slug("..").startswith(".")


def test_rebuild_replaces_the_site_and_refuses_other_folders(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    sito = _costruisci(engine, settings, tmp_path, 5)
    (sito / "vecchio.html").write_text("resto di una generazione precedente")
    build_site(engine=engine, settings=settings, out=sito, periodo=PERIODO, oggi=OGGI)
    assert not (sito / "vecchio.html").exists() and (sito / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sito")
            and p.name != ".sito.lock"] == []

    altro = tmp_path / "documenti"
    altro.mkdir()
    (altro / "tesi.txt").write_text("da non cancellare")
    with pytest.raises(ErroreUtente, match="non è un sito generato"):
        build_site(engine=engine, settings=settings, out=altro, periodo=PERIODO, oggi=OGGI)
    assert (altro / "tesi.txt").read_text() == "da non cancellare"


def test_missing_bootstrap_italia_is_a_user_error(engine: Engine, settings: Settings,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_mod, "BOOTSTRAP_ITALIA", tmp_path / "manca")
    with pytest.raises(ErroreUtente, match="Bootstrap Italia non installato: eseguire "
                                           "`make setup`"):
        build_site(engine=engine, settings=settings, out=tmp_path / "sito", oggi=OGGI)
    assert not (tmp_path / "sito").exists()
