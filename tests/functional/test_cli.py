"""The `registro` command end to end, as operators' scripts call it (both databases)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from supporto.cli import registro
from supporto.prenotazioni import riga, scrivi_export

from registro.settings import Settings

CHIAVI_INGEST = {"righe", "accettate", "scartate", "nuove", "aggiornate", "invariate",
                 "obsolete", "file_scarti"}
COLONNE_STATS = ["periodo", "codice_prestazione", "codice_sede", "classe_priorita", "n",
                 "attesa_media", "attesa_mediana", "attesa_p90", "standard_giorni",
                 "quota_entro_standard", "n_fuori_garanzia",
                 "quota_fuori_ordine"]   # added last (Carta §5.1): the others keep their place


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return scrivi_export(tmp_path / "cup.csv", [
        riga("P1", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-06T09:00"),
        riga("P2", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-20T09:00"),
        riga("P3", stato="non_presentato", importo_ticket="10.00"),
        riga("P4", data_appuntamento="2026-01-01T09:00"),   # before the booking: rejected
        riga("P5", classe_priorita="B", codice_sede="S002"),
    ])


def test_ingest_json_check_stats_sanzioni(settings: Settings, export: Path,
                                          tmp_path: Path) -> None:
    assert registro(settings, "init").returncode == 0
    res = registro(settings, "ingest", str(export), "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert set(summary) >= CHIAVI_INGEST
    assert all(isinstance(summary[k], int) for k in CHIAVI_INGEST - {"file_scarti"})
    assert (summary["righe"], summary["accettate"], summary["scartate"]) == (5, 4, 1)
    assert Path(summary["file_scarti"]).exists()

    res = registro(settings, "check")
    assert res.returncode == 0, res.stderr
    again = registro(settings, "check", "--json")
    assert json.loads(again.stdout)["sanzioni_emesse"] == 0

    out = tmp_path / "stats.csv"
    res = registro(settings, "stats", "--period", "2026-03", "--format", "csv", "--out", str(out))
    assert res.returncode == 0, res.stderr
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == COLONNE_STATS
    s001 = next(r for r in rows if r["codice_sede"] == "S001")
    assert (s001["n"], s001["attesa_mediana"], s001["standard_giorni"]) == ("3", "4.0", "7")
    assert s001["classe_priorita"] == ""

    pngla = tmp_path / "pngla.json"
    res = registro(settings, "stats", "--period", "2026-Q1", "--profilo", "pngla",
                   "--lettura", "ex_post", "--format", "json", "--out", str(pngla))
    assert res.returncode == 0, res.stderr
    assert {r["classe_priorita"] for r in json.loads(pngla.read_text())} >= {"B"}

    from sqlmodel import select

    from registro.db import make_engine, session_scope
    from registro.models import Esecuzione

    with session_scope(make_engine(settings.db_url)) as s:
        log = [(e.attivita, e.stato) for e in s.exec(select(Esecuzione)).all()]
    assert log == [("check", "completata"), ("check", "completata"),
                   ("stats", "completata"), ("stats", "completata")]

    sanz = tmp_path / "sanzioni.csv"
    res = registro(settings, "sanzioni", "--format", "csv", "--out", str(sanz))
    assert res.returncode == 0, res.stderr
    with open(sanz, encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    # the operators' six columns first and unchanged, the names beside the codes after them
    assert list(records[0]) == ["id_prenotazione", "tipo", "importo", "stato",
                                "data_emissione", "motivo", "codice_prestazione",
                                "descrizione_prestazione", "codice_sede", "nome_sede"]
    assert records[0]["codice_sede"] == "S001"
    assert records[0]["nome_sede"] != ""
    assert {(r["id_prenotazione"], r["tipo"], r["importo"]) for r in records} == {
        ("P3", "malum", "25.82")}


@pytest.mark.parametrize("args, frammento", [
    (("ingest", "non-esiste.csv"), "il file non esiste"),
    (("stats", "--period", "2026-13", "--out", "x.csv"), "periodo non valido"),
])
def test_user_errors_are_one_line_without_traceback(settings: Settings, args: tuple[str, ...],
                                                    frammento: str) -> None:
    res = registro(settings, *args)
    assert res.returncode == 2
    assert frammento in res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout


def test_catalogo_import_and_synth(settings: Settings, tmp_path: Path) -> None:
    cat = tmp_path / "cat.csv"
    cat.write_text("codice,descrizione,tipo,branca,tariffa\nX.1,Prova,immagini,Rad,12.30\n",
                   encoding="utf-8")
    assert registro(settings, "init").returncode == 0
    res = registro(settings, "catalogo", "import", str(cat))
    assert res.returncode == 0 and "1 aggiunte" in res.stdout, res.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("codice,descrizione,tipo,branca,tariffa\nX.2,Prova,radiologia,Rad,1\n",
                   encoding="utf-8")
    res = registro(settings, "catalogo", "import", str(bad))
    assert res.returncode == 2 and "tipo non ammesso" in res.stderr
    out = tmp_path / "s.csv"
    res = registro(settings, "synth", "--rows", "500", "--seed", "7", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 501


def test_counts_read_in_italian_in_the_terminal(settings: Settings, tmp_path: Path) -> None:
    """The summaries a person reads put a dot between thousands, as the site and the reports
    do (Italian formats wherever a person reads); scripts read `--json`, which keeps plain
    integers."""
    out = tmp_path / "s.csv"
    assert registro(settings, "init").returncode == 0
    res = registro(settings, "synth", "--rows", "1500", "--seed", "7", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "1.500 prenotazioni scritte" in res.stdout, res.stdout
    res = registro(settings, "ingest", str(out))
    assert res.returncode == 0, res.stderr
    assert "1.500 righe, 1.500 accettate, 0 scartate (1.500 nuove" in res.stdout, res.stdout
    assert json.loads(registro(settings, "ingest", str(out), "--json").stdout)["righe"] == 1500
    res = registro(settings, "check", "--al", "2026-01-01")
    assert res.returncode == 0, res.stderr
    assert "1.500 prenotazioni verificate" in res.stdout, res.stdout


@pytest.mark.parametrize("cmd", [[], ["init"], ["catalogo", "import"], ["synth"], ["ingest"],
                                 ["check"], ["stats"], ["sanzioni"], ["demo"]])
def test_help_everywhere(tmp_path: Path, cmd: list[str]) -> None:
    res = subprocess.run([sys.executable, "-m", "servizio.cli", *cmd, "--help"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 0 and "Uso:" in res.stdout
