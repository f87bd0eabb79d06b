"""The site's words for numbers and codes: days with their unit, profile and cancellation
causes in words, the generation time, and the sites of a service ordered by the wait."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from public_site.formato import causale, data_ora_it, in_giorni, nome_profilo
from public_site.pagine import per_attesa


def test_days_carry_their_unit() -> None:
    assert in_giorni(None) == "—"
    assert in_giorni(0) == "0 giorni"
    assert in_giorni(1) == "1 giorno"
    assert in_giorni(1.0) == "1 giorno"
    assert in_giorni(1.5) == "1,5 giorni"
    assert in_giorni(1234) == "1.234 giorni"


def test_setting_keys_never_reach_a_page() -> None:
    assert nome_profilo("carta1995") == "Carta dei servizi pubblici sanitari (1995)"
    assert nome_profilo("pngla") == "Piano nazionale di governo delle liste d'attesa"
    assert nome_profilo("carta1995+locale").endswith("con i tempi fissati dall'Azienda")
    assert "carta1995" not in nome_profilo("carta1995+locale")
    assert causale(" Emergenza ").startswith("un'emergenza")
    assert causale("sciopero_personale") == "sciopero personale"


def test_generation_time_in_italian() -> None:
    assert data_ora_it(datetime(2026, 5, 4, 9, 5)) == "4 maggio 2026 alle 9.05"


def _riga(sede: str, nome: str, mediana: float | None, *, classe: str | None = None,
          soppresso: bool = False, p90: float | None = None,
          quota: float | None = None) -> dict[str, Any]:
    return {"codice_sede": sede, "nome_sede": nome, "attesa_mediana": mediana,
            "attesa_p90": p90 if p90 is not None else mediana, "soppresso": soppresso,
            "quota_entro_standard": quota, "classe_priorita": classe}


def test_sites_by_the_wait_best_first_suppressed_last() -> None:
    righe = [_riga("S001", "Ospedale", 40), _riga("S002", "Centro", 12),
             _riga("S003", "Ambulatorio", None, soppresso=True),
             _riga("S004", "Distretto", 12, p90=30), _riga("S005", "Casa", 12, p90=20)]
    assert [r["codice_sede"] for r in per_attesa(righe)] == [
        "S002", "S005", "S004", "S001", "S003"]


def test_sites_by_the_wait_within_each_priority_class() -> None:
    righe = [_riga("S001", "A", 50, classe="P"), _riga("S002", "B", 9, classe="D"),
             _riga("S003", "C", 3, classe="P"), _riga("S004", "D", 2, classe="B")]
    assert [r["codice_sede"] for r in per_attesa(righe)] == ["S004", "S002", "S003", "S001"]
