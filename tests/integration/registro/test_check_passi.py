"""`registro check` in passes (ranges of id_prenotazione) gives exactly what one pass gives:
derived fields, sanctions, the columnar mirror; ids with quotes included."""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text
from supporto.colonnare import parti, specchio

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro import colonnare, db
from registro.check import DERIVATI, check, passi
from registro.settings import Settings

AL = date(2025, 12, 31)


@pytest.fixture
def registro(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(3000, seed=9).with_columns(
        # ids that sort and quote awkwardly: the cuts are SQL literals
        id_prenotazione=pl.when(pl.int_range(pl.len()) % 250 == 0)
        .then(pl.col("id_prenotazione") + "'O''Brien")
        .otherwise(pl.col("id_prenotazione")))
    export.write_csv(tmp_path / "cup.csv", null_value="")
    ingest(tmp_path / "cup.csv", engine=engine, settings=settings)
    return engine


def _stato(engine: Engine, settings: Settings) -> dict[str, pl.DataFrame]:
    derivati = db.read_frame(
        engine, f"SELECT id_prenotazione, {', '.join(DERIVATI)} FROM prenotazione",
        {"id_prenotazione": pl.String(), **dict.fromkeys(DERIVATI, pl.String())})
    sanzioni = db.read_frame(
        engine, "SELECT id_prenotazione, tipo, importo_cent, stato, motivo FROM sanzione",
        {"id_prenotazione": pl.String(), "tipo": pl.String(), "importo_cent": pl.Int64(),
         "stato": pl.String(), "motivo": pl.String()})
    copia = specchio(settings)
    return {"derivati": derivati.sort("id_prenotazione"),
            "sanzioni": sanzioni.sort("id_prenotazione", "tipo"),
            "copia": copia.sort("id_prenotazione")}


def test_passes_cover_every_booking_once(registro: Engine) -> None:
    intervalli = passi(registro, 700)
    assert len(intervalli) == 5
    assert intervalli[0][0] is None and intervalli[-1][1] is None
    assert all(a == b for (_, a), (b, _) in itertools.pairwise(intervalli))
    assert passi(registro, 3000) == [(None, None)]


def test_check_in_passes_equals_check_in_one(registro: Engine, settings: Settings) -> None:
    a_passi = check(engine=registro, settings=settings.model_copy(
        update={"check_righe_per_passo": 700}), oggi=AL)
    stato_passi = _stato(registro, settings)
    assert stato_passi["copia"].height == 3000
    assert stato_passi["sanzioni"].height > 50

    with registro.begin() as conn:
        conn.execute(text("DELETE FROM sanzione"))
        conn.execute(text(f"UPDATE prenotazione SET {', '.join(f'{c} = NULL' for c in DERIVATI)}"))
    shutil.rmtree(colonnare.cartella(settings))
    uno = check(engine=registro, settings=settings, oggi=AL)

    assert a_passi == uno
    for nome, frame in _stato(registro, settings).items():
        assert frame.equals(stato_passi[nome]), nome
    # and again in passes: nothing to do
    di_nuovo = check(engine=registro, settings=settings.model_copy(
        update={"check_righe_per_passo": 700}), oggi=AL)
    assert (di_nuovo.sanzioni_emesse, di_nuovo.sanzioni_annullate) == (0, 0)


def test_a_failed_check_keeps_the_previous_mirror(registro: Engine, settings: Settings,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    check(engine=registro, settings=settings, oggi=AL)
    prima = {p.name: p.read_bytes() for p in parti(settings)}
    versione = os.readlink(colonnare.percorso(settings))
    import registro.check as modulo

    def guasto(*_a: object, **_k: object) -> None:
        raise RuntimeError("guasto simulato")

    monkeypatch.setattr(modulo, "ricoveri_verificati", guasto)
    with pytest.raises(RuntimeError):
        check(engine=registro, settings=settings.model_copy(
            update={"check_righe_per_passo": 700}), oggi=AL)
    assert os.readlink(colonnare.percorso(settings)) == versione
    assert {p.name: p.read_bytes() for p in parti(settings)} == prima
    assert not list(colonnare.cartella(settings).glob(".*.tmp"))


def test_the_full_check_cuts_its_passes_at_the_smaller_setting(
        registro: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """`check_righe_per_passo_completo` cuts the full check's passes (its memory) without
    moving `check_righe_per_passo`, the incremental check's limit; same outcome."""
    import registro.check as modulo

    letture: list[str] = []
    originale = modulo.leggi_prenotazioni

    def contata(*a: object, **k: object) -> pl.DataFrame:
        letture.append("passo")
        return originale(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(modulo, "leggi_prenotazioni", contata)
    a_passi = check(engine=registro, settings=settings.model_copy(
        update={"check_righe_per_passo_completo": 700}), oggi=AL, completo=True)
    assert len(letture) == 5
    stato_passi = _stato(registro, settings)

    with registro.begin() as conn:
        conn.execute(text("DELETE FROM sanzione"))
        conn.execute(text(f"UPDATE prenotazione SET {', '.join(f'{c} = NULL' for c in DERIVATI)}"))
    colonnare.percorso(settings).unlink()
    letture.clear()
    uno = check(engine=registro, settings=settings, oggi=AL, completo=True)
    assert len(letture) == 1
    assert a_passi == uno
    for nome, frame in _stato(registro, settings).items():
        assert frame.equals(stato_passi[nome]), nome
