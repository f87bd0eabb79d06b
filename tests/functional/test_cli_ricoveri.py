"""The ricoveri flow through the command line, as the Direzione Sanitaria runs it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from supporto.cli import registro

from registro.settings import Settings

LISTA = (
    "id_ricovero,data_inserimento,codice_reparto,codice_patologia,descrizione_patologia,"
    "classe_priorita,stato,data_ricovero,id_assistito\n"
    """R1,2026-01-05T09:00,36.01,81.51,Protesi d'anca,B,in_attesa,,A1
R2,2026-01-10T09:00,36.01,81.51,Protesi d'anca,B,ricoverato,2026-02-02,A2
R3,2026-01-20T09:00,36.01,81.51,Protesi d'anca,A,ricoverato,2026-01-25,A3
R4,2026-03-01T09:00,36.01,81.54,Protesi di ginocchio,B,in_attesa,,A4
"""
)


def _leggi(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_ricoveri_check_monitoring_motiva_stats(settings: Settings, tmp_path: Path) -> None:
    lista = tmp_path / "lista.csv"
    lista.write_text(LISTA, encoding="utf-8")
    reparti = tmp_path / "reparti.csv"
    reparti.write_text("codice,nome,presidio\n36.01,Ortopedia,S001\n", encoding="utf-8")
    assert registro(settings, "reparti", "import", str(reparti)).returncode == 0
    res = registro(settings, "ingest", str(lista), "--registro", "ricoveri", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["accettate"] == 4

    res = registro(settings, "check", "--al", "2026-04-20", "--json")
    assert res.returncode == 0, res.stderr
    esito = json.loads(res.stdout)
    # R2 (B) was admitted while R1 (B, inserted earlier) waited; R1 waits 105 days > 60.
    assert (esito["ricoveri"], esito["fuori_ordine"], esito["superamenti_ricoveri"]) == (4, 1, 1)

    mon = tmp_path / "mon.csv"
    res = registro(settings, "monitoring", "--al", "2026-04-20", "--format", "csv",
                   "--out", str(mon))
    assert res.returncode == 0, res.stderr
    righe = _leggi(mon)
    assert list(righe[0]) == ["lista", "registro", "id", "codice_reparto_o_prestazione",
                              "codice_sede_o_patologia", "classe_priorita", "giorni", "soglia",
                              "dal", "motivato", "termine", "servizio",
                              "descrizione_prestazione", "nome_sede_o_reparto"]
    voci = [(r["lista"], r["id"]) for r in righe]
    assert voci == [("superamento_senza_motivazione", "R1"),
                    ("fuori_ordine_senza_motivazione", "R2"),
                    ("in_scadenza", "R4")]
    r1 = righe[0]
    assert (r1["giorni"], r1["soglia"], r1["dal"], r1["motivato"]) == (
        "105", "60", "2026-03-07", "false")

    res = registro(settings, "motiva", "--ricovero", "R2", "--testo",
                   "paziente con peggioramento clinico documentato", "--autore", "DS")
    assert res.returncode == 0 and "fuori_ordine" in res.stdout, res.stderr
    res = registro(settings, "monitoring", "--al", "2026-04-20", "--format", "json",
                   "--out", str(tmp_path / "mon.json"))
    ids = [v["id"] for v in json.loads((tmp_path / "mon.json").read_text(encoding="utf-8"))]
    assert ids == ["R1", "R4"]
    res = registro(settings, "motiva", "--ricovero", "R9", "--testo", "x")
    assert res.returncode == 2 and "non presente" in res.stderr

    out = tmp_path / "ric.csv"
    res = registro(settings, "stats", "--registro", "ricoveri", "--period", "2026-Q1",
                   "--format", "csv", "--out", str(out))
    assert res.returncode == 0, res.stderr
    tabella = {(r["codice_patologia"], r["classe_priorita"]): r for r in _leggi(out)}
    b = tabella[("81.51", "B")]
    assert (b["n"], b["attesa_mediana"], b["standard_giorni"], b["fuori_ordine"]) == (
        "1", "23.0", "60", "1")
    assert (b["in_attesa"], b["attesa_massima_in_corso"]) == ("1", "85")
