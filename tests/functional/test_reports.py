"""The three reports: content, PDF text, numbers equal to `registro stats`, versions, SHA-256."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import select
from supporto.report import riempi

from registro.db import session_scope
from registro.letture import leggi_prenotazioni
from registro.models import ReportRun
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.calendario import precedente, ultimo_chiuso
from reports.monitoring import COLONNE as COLONNE_LISTA
from reports.monitoring import calcola_lista
from reports.service import esegui
from reports.stats import COLONNE, tabella_prestazioni


def test_conferenza_pdf_html_e_csv(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "cup")
    out = tmp_path / "out"
    esito, consegna = esegui(engine=engine, settings=settings, tipo="conferenza",
                             periodo="2025-H2", out=out)
    assert consegna == "non_richiesta"
    nomi = {f.nome for f in esito.files}
    assert {"conferenza.html", "conferenza.pdf", "tempi_attesa.csv", "conformita_branca.csv",
            "conformita_sede.csv", "conformita_classe.csv", "peggiori_prestazioni.csv",
            "andamento.csv", "ricoveri_reparto.csv", "sanzioni.csv",
            "superamenti_senza_motivazione.csv"} <= nomi
    html = (out / "conferenza.html").read_text(encoding="utf-8")
    cifra = re.search(r'id="cifra-principale">([^<]+)<', html)
    assert cifra and re.fullmatch(r"\d{1,3},\d %", cifra.group(1))
    assert "<svg" in html and "<script" not in html
    testo_pdf = subprocess.run(["pdftotext", str(out / "conferenza.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout
    assert cifra.group(1) in testo_pdf
    assert "Conferenza dei Sindaci" in testo_pdf
    # Italian typography in the PDF's text: euro as '€ 1.234,56', shares as '54,2 %', no
    # raw fraction ('0.542') nor decimal point ('25.82', '2.5'; '§4.3' is a section)
    assert re.search(r"€ \d{1,3}(\.\d{3})*,\d{2}\b", testo_pdf)
    assert re.search(r"\b\d{1,3},\d %", testo_pdf)
    assert not re.search(r"\b0\.\d{3}\b", testo_pdf)
    codici = [*pl.read_csv(out / "tempi_attesa.csv", infer_schema=False)["codice_prestazione"],
              *pl.read_csv(out / "ricoveri_reparto.csv", infer_schema=False)["codice_reparto"]]
    senza_codici = re.sub("|".join(re.escape(c) for c in sorted(set(codici), key=len,
                                                                  reverse=True)), "", testo_pdf)
    assert re.findall(r"(?<![§\d.])\d+\.\d{1,2}(?!\d)", senza_codici) == []
    assert "semestre in cui è avvenuto il fatto" in " ".join(testo_pdf.split())

    # the CSV numbers are `registro stats` for the same period, small cells emptied
    atteso = tabella_prestazioni(leggi_prenotazioni(engine).lazy(),
                                 profilo=carica_profilo(settings.profilo),
                                 periodo=Periodo.parse("2025-H2"))
    csv = pl.read_csv(out / "tempi_attesa.csv", schema_overrides={
        "codice_prestazione": pl.String, "codice_sede": pl.String,
        "classe_priorita": pl.String})
    assert csv.height == atteso.height
    pubblicate = csv.filter(~pl.col("soppresso")).select(COLONNE)
    assert pubblicate.height > 0
    assert pubblicate.to_dicts() == atteso.filter(
        pl.col("n") >= settings.soglia_pubblicazione).select(COLONNE).to_dicts()
    piccole = csv.filter(pl.col("soppresso"))
    assert piccole["n"].null_count() == piccole.height
    assert piccole["quota_entro_standard"].null_count() == piccole.height

    # the headline is the share over every booking in guarantee of the period
    classi = pl.read_csv(out / "conformita_classe.csv")
    n, entro = int(classi["n"].sum()), int(classi["entro_standard"].sum())
    assert classi["soppresso"].sum() == 0
    assert f"{round(entro / n * 100, 1):.1f}".replace(".", ",") + " %" == cifra.group(1)
    # names beside codes: new columns after the old ones, which stay as they were
    tempi = pl.read_csv(out / "tempi_attesa.csv", infer_schema=False)
    assert tempi.columns[-2:] == ["descrizione_prestazione", "nome_sede"]
    assert set(COLONNE) <= set(tempi.columns[:-2])
    assert tempi["descrizione_prestazione"].null_count() < tempi.height
    sup = pl.read_csv(out / "superamenti_senza_motivazione.csv", infer_schema=False)
    assert sup.columns == ["registro", "codice", "n", "nome"]
    assert sup.height > 0 and sup["nome"].null_count() < sup.height
    for nome in sup["nome"].drop_nulls().to_list()[:3]:
        assert nome in html
    # aggregates only: no booking id anywhere
    for f in out.glob("*.csv"):
        assert "P2025-" not in f.read_text(encoding="utf-8")


def test_nuova_versione_e_sha256(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "cup", prenotazioni=500, ricoveri=50)
    uno, _ = esegui(engine=engine, settings=settings, tipo="osservatorio", periodo="2025-Q3")
    due, _ = esegui(engine=engine, settings=settings, tipo="osservatorio", periodo="2025-Q3",
                    out=tmp_path / "copia")
    base = Path(settings.data_dir) / "report" / "osservatorio" / "2025-Q3"
    assert (uno.versione, due.versione) == (1, 2)
    assert uno.cartella == base / "v1" and due.cartella == base / "v2"
    assert (base / "v1" / "osservatorio.csv").exists()
    assert sorted(p.name for p in base.iterdir()) == ["v1", "v2"]
    with session_scope(engine) as s:
        runs = s.exec(select(ReportRun).order_by(ReportRun.id)).all()  # type: ignore[arg-type]
    assert [(r.tipo, r.periodo, r.versione) for r in runs] == [
        ("osservatorio", "2025-Q3", 1), ("osservatorio", "2025-Q3", 2)]
    for run in runs:
        files = json.loads(run.files)
        assert {f["nome"] for f in files} == {"osservatorio.csv", "osservatorio.json",
                                              "schema.json"}
        for f in files:
            dati = Path(run.cartella, f["nome"]).read_bytes()
            assert hashlib.sha256(dati).hexdigest() == f["sha256"]
            assert len(dati) == f["byte"]
    for f in json.loads(runs[1].files):
        assert (tmp_path / "copia" / f["nome"]).read_bytes() == \
            Path(runs[1].cartella, f["nome"]).read_bytes()


def test_osservatorio_istogramma_e_schema(engine: Engine, settings: Settings,
                                          tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "cup", prenotazioni=1500, ricoveri=20)
    esito, _ = esegui(engine=engine, settings=settings, tipo="osservatorio", periodo="2025")
    df = pl.read_csv(esito.cartella / "osservatorio.csv", schema_overrides={
        "codice_prestazione": pl.String, "codice_sede": pl.String,
        "classe_priorita": pl.String})
    schema = json.loads((esito.cartella / "schema.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in schema["fields"]] == df.columns
    assert set(df["lettura"]) == {"ex_ante", "ex_post"}
    assert df.select(schema["primaryKey"]).is_duplicated().sum() == 0
    assert df["classe_priorita"].drop_nulls().n_unique() >= 3  # split by class
    for r in df.iter_rows(named=True):
        isto = {int(k): v for k, v in json.loads(r["istogramma"]).items()}
        assert sum(isto.values()) == r["n"]
        if r["n"]:
            attese = sorted(g for g, c in isto.items() for _ in range(c))
            n = len(attese)
            assert (attese[(n - 1) // 2] + attese[n // 2]) / 2 == r["attesa_mediana"]
            assert attese[(9 * n + 9) // 10 - 1] == r["attesa_p90"]
    assert json.loads((esito.cartella / "osservatorio.json").read_text())[0].keys() == \
        set(df.columns)


def test_direzione(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    riempi(engine, settings, tmp_path / "cup", prenotazioni=800, ricoveri=80)
    al = date(2025, 12, 31)
    esito, _ = esegui(engine=engine, settings=settings, tipo="direzione", al=al)
    assert esito.periodo == "2025-12"
    lista = pl.read_csv(esito.cartella / "lista_monitoraggio.csv", infer_schema=False)
    atteso = calcola_lista(engine=engine, settings=settings, oggi=al)
    assert lista.height == atteso.height > 0
    assert lista.columns == [*COLONNE_LISTA, "descrizione_prestazione", "nome_sede_o_reparto"]
    assert lista["nome_sede_o_reparto"].null_count() < lista.height
    unita = pl.read_csv(esito.cartella / "superamenti_per_unita.csv", infer_schema=False)
    assert unita.columns == ["registro", "unita", "codice_sede", "superamenti",
                             "senza_motivazione", "nome_unita", "nome_sede"]
    assert unita["senza_motivazione"].cast(pl.Int64).sum() == atteso.filter(
        pl.col("lista") == "superamento_senza_motivazione").height
    assert unita["nome_unita"].null_count() < unita.height
    sanzioni = pl.read_csv(esito.cartella / "sanzioni_per_sede.csv", infer_schema=False)
    assert sanzioni.columns == ["codice_sede", "tipo", "numero", "importo_euro", "nome_sede"]


def test_periodi() -> None:
    assert precedente(Periodo.parse("2026-H1")).etichetta == "2025-H2"
    assert precedente(Periodo.parse("2026-Q1")).etichetta == "2025-Q4"
    assert precedente(Periodo.parse("2026-03")).etichetta == "2026-02"
    assert precedente(Periodo.parse("2026-01")).etichetta == "2025-12"
    assert precedente(Periodo.parse("2026")).etichetta == "2025"
    assert ultimo_chiuso(6, date(2026, 1, 1)).etichetta == "2025-H2"
    assert ultimo_chiuso(6, date(2026, 7, 1)).etichetta == "2026-H1"
    assert ultimo_chiuso(3, date(2026, 4, 1)).etichetta == "2026-Q1"
    assert ultimo_chiuso(3, date(2026, 1, 5)).etichetta == "2025-Q4"
