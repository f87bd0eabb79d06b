"""Small builders for hand-made CUP exports (pseudonymous ids only)."""

from __future__ import annotations

from pathlib import Path

from cup.schema import CANONICHE

COLONNE = tuple(c for c in CANONICHE if c != "data_ritiro_referto")
"""The layout most tests write: a CUP that does not track report collection (with the
column, every delivered booking of March would owe its tariff by now)."""

BASE = {
    "data_prescrizione": "",
    "data_prenotazione": "2026-03-02T10:00",
    "data_appuntamento": "2026-03-06T09:30",
    "codice_prestazione": "89.7",
    "codice_sede": "S001",
    "classe_priorita": "",
    "tipo_accesso": "primo",
    "scelta_utente": "",
    "stato": "erogata",
    "data_disdetta": "",
    "causale_annullamento": "",
    "esito_annullamento": "",
    "importo_ticket": "36.15",
    "quota_ordinaria": "36.15",
    "forza_maggiore": "",
    "id_assistito": "A0000001",
    "aggiornato_il": "",
}


def riga(id_prenotazione: str, **campi: str) -> dict[str, str]:
    return {"id_prenotazione": id_prenotazione, **BASE, **campi}


def scrivi_export(path: Path, righe: list[dict[str, str]], sep: str = ",",
                  encoding: str = "utf-8", colonne: tuple[str, ...] = COLONNE) -> Path:
    def cell(v: str) -> str:
        if any(ch in v for ch in (sep, '"', "\n")):
            return '"' + v.replace('"', '""') + '"'
        return v

    lines = [sep.join(colonne)]
    lines += [sep.join(cell(r.get(c, "")) for c in colonne) for r in righe]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path
