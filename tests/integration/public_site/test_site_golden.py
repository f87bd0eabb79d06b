"""The golden site: a small fixed register built into a site that must match, byte for byte,
the copy kept in `tests/golden/sito/` (STYLE 20).

Every generated file is compared (pages, search index, open data, datapackage.json); the
copied assets (Bootstrap Italia, fonts, our CSS) are not, they are not generated. Both
databases must give the same site. A deliberate change to the site is regenerated with
`make golden` (which sets REGISTRO_RIGENERA_GOLDEN=1, from SQLite only) and reviewed in
the diff of the commit.
"""

from __future__ import annotations

import difflib
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from supporto import CARTELLA_TESTS
from supporto.sito import GOLDEN_GENERATO, GOLDEN_OGGI, GOLDEN_PERIODO, registro_golden

from public_site.build import MARCATORE, build_site
from registro.periodo import Periodo

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

GOLDEN = CARTELLA_TESTS / "golden" / "sito"
RIGENERA = os.environ.get("REGISTRO_RIGENERA_GOLDEN") == "1"


def generati(sito: Path) -> dict[str, bytes]:
    """The files the build generated from the data, by path: not the assets it copies into
    `static/` (Bootstrap Italia, fonts, our CSS and script), not the marker."""
    file = {p.relative_to(sito).as_posix(): p for p in sorted(sito.rglob("*")) if p.is_file()}
    return {percorso: p.read_bytes() for percorso, p in file.items()
            if (not percorso.startswith("static/") or percorso == "static/indice-ricerca.js")
            and percorso != MARCATORE}


def prima_differenza(atteso: dict[str, bytes], ottenuto: dict[str, bytes]) -> str | None:
    """The first difference, readable: missing or extra files, else the first differing
    file with a unified diff of its lines around the change."""
    mancanti, in_piu = sorted(atteso.keys() - ottenuto), sorted(ottenuto.keys() - atteso)
    if mancanti or in_piu:
        return f"file mancanti: {mancanti}; file in più: {in_piu}"
    for percorso in sorted(atteso):
        if atteso[percorso] != ottenuto[percorso]:
            diff = difflib.unified_diff(
                atteso[percorso].decode("utf-8").splitlines(),
                ottenuto[percorso].decode("utf-8").splitlines(),
                f"golden/{percorso}", f"generato/{percorso}", n=2, lineterm="")
            righe = list(diff)
            return "\n".join([f"{percorso} differisce dal golden (make golden per "
                              "rigenerarlo, se voluto):", *righe[:40],
                              *(["…"] if len(righe) > 40 else [])])
    return None


def test_golden_site(db_url: str, tmp_path: Path) -> None:
    engine, settings = registro_golden(tmp_path / "registro", db_url)
    esito = build_site(engine=engine, settings=settings, out=tmp_path / "sito",
                       periodo=Periodo.parse(GOLDEN_PERIODO),
                       oggi=date.fromisoformat(GOLDEN_OGGI),
                       generato=datetime.fromisoformat(GOLDEN_GENERATO))
    engine.dispose()
    ottenuto = generati(esito.cartella)
    # `make golden` rewrites the copy from SQLite only; PostgreSQL is always compared with it
    if RIGENERA and db_url.startswith("sqlite"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for percorso, contenuto in ottenuto.items():
            (GOLDEN / percorso).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / percorso).write_bytes(contenuto)
        return
    assert GOLDEN.is_dir(), "golden mancante: eseguire `make golden`"
    differenza = prima_differenza(generati(GOLDEN), ottenuto)
    assert differenza is None, differenza


def test_first_difference_is_shown() -> None:
    atteso = {"a.html": b"uno\ndue\ntre\n", "b.csv": b"x\n"}
    assert prima_differenza(atteso, dict(atteso)) is None
    assert "file mancanti: ['b.csv']" in (prima_differenza(atteso, {"a.html": b""}) or "")
    testo = prima_differenza(atteso, {**atteso, "a.html": b"uno\nDUE\ntre\n"}) or ""
    assert testo.startswith("a.html differisce") and "-due" in testo and "+DUE" in testo
