"""The open data of the public site: a valid Frictionless Data Package whose CSVs give back
the numbers of `registro stats` (reports.stats / reports.stats_ricoveri), small cells empty."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from supporto.sito import anagrafiche

from cup.ingest import ingest
from cup.synthetic import scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from public_site.build import build_site
from registro.letture import leggi_prenotazioni, leggi_ricoveri
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.stats import tabella_prestazioni
from reports.stats_ricoveri import tabella_ricoveri

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

PERIODO = Periodo.parse("2025")
STAT = ["n", "attesa_media", "attesa_mediana", "attesa_p90", "quota_entro_standard"]
CODICI = {"codice_prestazione": pl.String, "codice_sede": pl.String,
          "classe_priorita": pl.String, "codice_reparto": pl.String,
          "codice_patologia": pl.String, "codice": pl.String, "mese": pl.String}


@pytest.fixture
def sito(engine: Engine, settings: Settings, tmp_path: Path) -> Path:
    anagrafiche(engine, tmp_path)
    ingest(scrivi_csv(tmp_path / "cup.csv", rows=4_000, seed=11, anno=2025),
           engine=engine, settings=settings)
    ingest(scrivi_csv_ricoveri(tmp_path / "ric.csv", rows=600, seed=11, anno=2025),
           engine=engine, settings=settings, registro="ricoveri")
    return build_site(engine=engine, settings=settings, out=tmp_path / "sito",
                      periodo=PERIODO, oggi=date(2026, 1, 10)).cartella


def _leggi(path: Path) -> pl.DataFrame:
    intestazione = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    return pl.read_csv(path, schema_overrides={c: t for c, t in CODICI.items()
                                               if c in intestazione})


def test_datapackage_is_valid(sito: Path) -> None:
    from frictionless import Package, validate

    percorso = sito / "dati" / "datapackage.json"
    report = validate(str(percorso))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    pacchetto = json.loads(percorso.read_text(encoding="utf-8"))
    assert pacchetto["licenses"][0]["name"] == "CC-BY-4.0"
    package = Package(str(percorso))
    assert {r.name for r in package.resources} == {
        "tempi-attesa-prestazioni", "andamento-mensile", "tempi-attesa-ricoveri",
        "catalogo-prestazioni", "registro-prestazioni"}
    for risorsa in pacchetto["resources"]:
        tipi = {f["name"]: f["type"] for f in risorsa["schema"]["fields"]}
        for campo, tipo in tipi.items():
            if campo.startswith("codice"):
                assert tipo == "string", (risorsa["name"], campo)
    # codes that look like numbers stay text (no 89.70 -> 89.7, no lost leading zeros)
    prest = package.get_resource("tempi-attesa-prestazioni").read_rows()  # type: ignore[attr-defined]
    assert all(isinstance(r["codice_prestazione"], str) for r in prest)


def test_csv_round_trips_to_registro_stats(sito: Path, engine: Engine,
                                          settings: Settings) -> None:
    soglia = settings.soglia_pubblicazione
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    attesa = tabella_prestazioni(leggi_prenotazioni(engine).lazy(), profilo=profilo,
                                 periodo=PERIODO)
    pubblicata = _leggi(sito / "dati" / "tempi_attesa_prestazioni.csv")
    chiavi = ["codice_prestazione", "codice_sede", "classe_priorita"]
    assert pubblicata.height == attesa.height
    unite = attesa.join(pubblicata, on=chiavi, how="full", nulls_equal=True, suffix="_pub")
    assert unite.height == attesa.height
    visibili = unite.filter(pl.col("n") >= soglia)
    assert visibili.height > 50 and unite.filter(pl.col("n") < soglia).height > 0
    for c in [*STAT, "standard_giorni"]:
        assert visibili[c].to_list() == visibili[f"{c}_pub"].to_list(), c
    assert not visibili["soppresso"].any()
    nascoste = unite.filter(pl.col("n") < soglia)
    assert nascoste["soppresso"].all()
    for c in STAT:
        assert nascoste[f"{c}_pub"].null_count() == nascoste.height, c

    lista = leggi_ricoveri(engine).lazy()
    ric = tabella_ricoveri(lista, profilo=profilo, periodo=PERIODO,
                           fuori_ordine=fuori_ordine(lista))
    ric_pub = _leggi(sito / "dati" / "tempi_attesa_ricoveri.csv")
    chiavi_r = ["codice_reparto", "codice_patologia", "classe_priorita"]
    unite_r = ric.join(ric_pub, on=chiavi_r, how="full", nulls_equal=True, suffix="_pub")
    assert unite_r.height == ric.height == ric_pub.height
    vis = unite_r.filter(pl.col("n") >= soglia)
    assert vis.height > 0
    for c in [*STAT, "standard_giorni", "fuori_ordine"]:
        assert vis[c].to_list() == vis[f"{c}_pub"].to_list(), c
    lista_vis = unite_r.filter((pl.col("in_attesa") >= soglia) | (pl.col("in_attesa") == 0))
    for c in ("in_attesa", "attesa_massima_in_corso"):
        assert lista_vis[c].to_list() == lista_vis[f"{c}_pub"].to_list(), c
    piccole = unite_r.filter(pl.col("in_attesa").is_between(1, soglia - 1))
    assert piccole["in_attesa_pub"].null_count() == piccole.height


def test_json_matches_csv(sito: Path) -> None:
    csv = _leggi(sito / "dati" / "tempi_attesa_prestazioni.csv")
    righe = json.loads((sito / "dati" / "tempi_attesa_prestazioni.json").read_text("utf-8"))
    assert len(righe) == csv.height
    assert [r["n"] for r in righe] == csv["n"].to_list()
    assert all(isinstance(r["codice_prestazione"], str) for r in righe)


def test_periodic_laboratory_tests_published_as_registro_stats(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """A test the catalog marks `periodica` has no 48-hour target under carta1995: the site
    says so as `registro stats` does (it used to read the bookings without the flag and
    publish those tests against 48 hours)."""
    from sqlalchemy import text

    anagrafiche(engine, tmp_path)
    ingest(scrivi_csv(tmp_path / "cup.csv", rows=4_000, seed=11, anno=2025),
           engine=engine, settings=settings)
    with engine.begin() as conn:
        codice = conn.execute(text(
            "SELECT p.codice_prestazione FROM prenotazione p JOIN prestazione c "
            "ON c.codice = p.codice_prestazione WHERE c.tipo = 'laboratorio' "
            "GROUP BY p.codice_prestazione ORDER BY COUNT(*) DESC LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE prestazione SET periodica = true WHERE codice = :c"),
                     {"c": codice})
    sito = build_site(engine=engine, settings=settings, out=tmp_path / "sito",
                      periodo=PERIODO, oggi=date(2026, 1, 10)).cartella
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    attesa = tabella_prestazioni(leggi_prenotazioni(engine).lazy(), profilo=profilo,
                                 periodo=PERIODO).filter(pl.col("codice_prestazione") == codice)
    pubblicata = _leggi(sito / "dati" / "tempi_attesa_prestazioni.csv").filter(
        pl.col("codice_prestazione") == codice)
    assert pubblicata.height == attesa.height > 0
    assert pubblicata["standard_giorni"].null_count() == pubblicata.height
    assert pubblicata["n"].sum() == 0
    unite = attesa.join(pubblicata, on=["codice_prestazione", "codice_sede"], suffix="_pub")
    visibili = unite.filter(pl.col("n_fuori_garanzia_pub").is_not_null())
    assert visibili.height > 0
    assert visibili["n_fuori_garanzia"].to_list() == visibili["n_fuori_garanzia_pub"].to_list()
