"""Every optional column is optional everywhere: an export without it, or with it empty on
every row, goes through ingest, check, stats, monitoring, the site and a report.

The failure that asked for this (issue 14, item 5): `registro site build` stopped with
"Cannot infer type from null for SQLite" on a list where no admission had
`descrizione_patologia`. The site reads the pathologies' names with
`MAX(descrizione_patologia) … GROUP BY codice_patologia`, and SQLite's reads then went
through ConnectorX, which types a computed column from its first value and cannot type a
null. SQLite's reads have since gone through ADBC in one block, typed by the declared
schema (`registro.db.read_frame`); these tests keep every optional column that way."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from supporto.sito import anagrafiche

from cup.ingest import ingest
from cup.schema import PRENOTAZIONI, RICOVERI, Tracciato
from cup.synthetic import genera_prenotazioni
from cup.synthetic_ricoveri import genera_ricoveri
from public_site.build import build_site
from public_site.dati import leggi
from registro import colonnare
from registro.check import check
from registro.letture import leggi_ricoveri
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.monitoring import calcola_lista
from reports.service import esegui
from reports.stats import tabella_prestazioni
from reports.stats_ricoveri import tabella_ricoveri

PERIODO = Periodo.parse("2025-H2")
OGGI = date(2026, 1, 15)
MODI = ("assente", "vuota")


def _facoltative(tracciato: Tracciato) -> list[str]:
    return [c for c in tracciato.canoniche if c not in tracciato.obbligatorie]


CASI = [pytest.param(t, colonna, modo, id=f"{t.registro}-{colonna}-{modo}")
        for t in (PRENOTAZIONI, RICOVERI) for colonna in _facoltative(t) for modo in MODI]


def test_le_colonne_facoltative_sono_tutte_elencate() -> None:
    """The parametrisation follows the layouts: a new optional column is tested without
    anyone remembering to add it here."""
    assert "descrizione_patologia" in _facoltative(RICOVERI)
    assert "data_ritiro_referto" in _facoltative(PRENOTAZIONI)
    assert len(CASI) == 2 * (len(_facoltative(PRENOTAZIONI)) + len(_facoltative(RICOVERI)))


def _senza(df: pl.DataFrame, colonna: str, modo: str) -> pl.DataFrame:
    if modo == "assente":
        return df.drop(colonna)
    return df.with_columns(pl.lit(None, dtype=pl.String).alias(colonna))


def test_il_sito_legge_le_patologie_senza_descrizione(engine: Engine, settings: Settings,
                                                     tmp_path: Path) -> None:
    """The very read that failed: the names of pathologies none of which has one."""
    anagrafiche(engine, tmp_path)
    genera_ricoveri(60, seed=5, anno=2025).drop("descrizione_patologia").write_csv(
        tmp_path / "ricoveri.csv", null_value="")
    ingest(tmp_path / "ricoveri.csv", engine=engine, settings=settings, registro="ricoveri")
    patologie = leggi(engine, settings).patologie
    assert patologie.height > 0
    assert patologie.schema["descrizione_patologia"] == pl.String
    assert patologie["descrizione_patologia"].null_count() == patologie.height


@pytest.mark.slow
@pytest.mark.npm  # builds the site: Bootstrap Italia from npm
@pytest.mark.parametrize(("tracciato", "colonna", "modo"), CASI)
def test_colonna_facoltativa_assente_o_vuota(engine: Engine, settings: Settings,
                                             tmp_path: Path, tracciato: Tracciato,
                                             colonna: str, modo: str) -> None:
    anagrafiche(engine, tmp_path)
    prenotazioni = genera_prenotazioni(300, seed=23, anno=2025)
    ricoveri = genera_ricoveri(120, seed=23, anno=2025)
    assert colonna in (prenotazioni if tracciato is PRENOTAZIONI else ricoveri).columns
    if tracciato is PRENOTAZIONI:
        prenotazioni = _senza(prenotazioni, colonna, modo)
    else:
        ricoveri = _senza(ricoveri, colonna, modo)
    prenotazioni.write_csv(tmp_path / "cup.csv", null_value="")
    ricoveri.write_csv(tmp_path / "ricoveri.csv", null_value="")

    # ingest: the file is taken (rows whose rules need the column may be rejected, not all)
    caricate = ingest(tmp_path / "cup.csv", engine=engine, settings=settings)
    assert caricate.accettate > 0
    ricoverati = ingest(tmp_path / "ricoveri.csv", engine=engine, settings=settings,
                        registro="ricoveri")
    assert ricoverati.accettate > 0

    esito = check(engine=engine, settings=settings, oggi=OGGI)
    assert esito.prenotazioni > 0 and esito.ricoveri > 0

    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    stats = tabella_prestazioni(colonnare.prenotazioni(engine, settings), profilo=profilo,
                                periodo=PERIODO)
    assert stats.height > 0
    lista_ricoveri = leggi_ricoveri(engine).lazy()
    stats_ricoveri = tabella_ricoveri(lista_ricoveri, profilo=profilo, periodo=PERIODO,
                                      fuori_ordine=fuori_ordine(lista_ricoveri))
    if colonna != "data_ricovero" or tracciato is PRENOTAZIONI:
        assert stats_ricoveri.height > 0  # without data_ricovero nobody has been admitted

    lista = calcola_lista(engine=engine, settings=settings, oggi=OGGI)
    assert lista.height > 0

    sito = build_site(engine=engine, settings=settings, out=tmp_path / "sito", periodo=PERIODO,
                      oggi=OGGI)
    assert sito.index.is_file()
    assert "Tempi di attesa" in sito.index.read_text(encoding="utf-8")

    report, consegna = esegui(engine=engine, settings=settings, tipo="direzione", al=OGGI,
                              out=tmp_path / "report", consegnare=False)
    assert consegna == "non_richiesta"
    assert {f.nome for f in report.files} >= {"lista_monitoraggio.csv",
                                              "sanzioni_per_sede.csv"}
