"""`registro check` says which check it ran: full the first time and when asked
(`--completo`), incremental after a delta, with the bookings it re-derived (both databases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from supporto.cli import registro
from supporto.prenotazioni import riga, scrivi_export

from registro.settings import Settings

pytestmark = pytest.mark.postgres


def test_check_says_full_or_incremental(settings: Settings, tmp_path: Path) -> None:
    assert registro(settings, "init").returncode == 0
    anno = scrivi_export(tmp_path / "cup.csv", [
        riga("P1", data_prenotazione="2026-03-02T10:00", data_appuntamento="2026-03-06T09:00"),
        riga("P2", data_prenotazione="2026-03-02T11:00", data_appuntamento="2026-03-20T09:00"),
        riga("P3", stato="non_presentato", importo_ticket="10.00"),
    ])
    assert registro(settings, "ingest", str(anno)).returncode == 0
    primo = registro(settings, "check", "--al", "2026-04-30")
    assert primo.returncode == 0, primo.stderr
    assert "verifica completa" in primo.stdout

    delta = scrivi_export(tmp_path / "delta.csv", [
        riga("P4", data_prenotazione="2026-03-03T10:00", data_appuntamento="2026-03-05T09:00"),
    ])
    assert registro(settings, "ingest", str(delta)).returncode == 0
    dopo = registro(settings, "check", "--al", "2026-04-30")
    assert dopo.returncode == 0, dopo.stderr
    assert "verifica incrementale: 1 prenotazioni ricalcolate" in dopo.stdout

    completa = registro(settings, "check", "--al", "2026-04-30", "--completo", "--json")
    esito = json.loads(completa.stdout)
    assert (esito["incrementale"], esito["ricalcolate"], esito["prenotazioni"]) == (0, 4, 4)
    assert (esito["sanzioni_emesse"], esito["sanzioni_annullate"]) == (0, 0)
