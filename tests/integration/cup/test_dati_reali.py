"""110,527 real appointments with their own headers go in through a mapping.

The file (Kaggle "Medical Appointment No Shows") is not in the repository: its licence could
not be confirmed. The test reads the folder named by `REGISTRO_DATI_REALI`; `.ci/run` points
it at the copy beside CI's checkout, and without it the test is left out with one line
(tests/conftest.py), never skipped in silence.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from supporto import RADICE

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.db import read_frame
from registro.settings import Settings

ROOT = RADICE
MAPPING = ROOT / "esempi" / "mapping_medical_appointment_no_shows.toml"


@pytest.mark.slow
@pytest.mark.dati_reali
def test_medical_appointment_no_shows(engine: Engine, settings: Settings) -> None:
    KAGGLE = Path(os.environ["REGISTRO_DATI_REALI"]) / "KaggleV2-May-2016.csv"
    assert KAGGLE.exists(), f"real-world file missing: {KAGGLE}"
    importa_catalogo(catalogo_nazionale(), engine=engine)
    esito = ingest(KAGGLE, engine=engine, settings=settings, mapping=MAPPING)

    assert esito.righe == 110_527
    assert esito.scartate == 5
    assert esito.accettate == 110_522
    scarti = pl.read_csv(esito.file_scarti, infer_schema=False)
    assert set(scarti["campo"]) == {"data_appuntamento"}
    assert set(scarti["motivo"]) == {"appuntamento precedente alla data di prenotazione"}

    stati = read_frame(engine, "SELECT stato FROM prenotazione", {"stato": pl.String()})
    no_show = stati.filter(pl.col("stato") == "non_presentato").height / stati.height
    assert round(no_show * 100, 1) == 20.2
    # The CUP is the source of sites: every neighbourhood is registered from its code.
    assert esito.sedi_nuove == 81
