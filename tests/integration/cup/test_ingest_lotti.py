"""The ingest in bounded batches: the result does not depend on the batch size, duplicates
and rejects across batch boundaries included, and a file broken past the first batch is
refused whole with nothing written."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro import db
from registro.errors import ErroreUtente
from registro.settings import Settings

RIGHE = 2600  # three batches of 1,000 (the smallest batch the settings allow)


@pytest.fixture
def registro(engine: Engine) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    return engine


def _export(path: Path, **extra: Any) -> Path:
    righe = []
    for i in range(RIGHE):
        campi: dict[str, str] = {"data_appuntamento": f"2026-03-{6 + i % 20:02d}T09:00"}
        if i % 397 == 5:
            campi["codice_prestazione"] = "NON.ESISTE"      # rejected
        if i % 211 == 7:
            campi["data_prenotazione"] = "31/02/2026"       # rejected
        righe.append(riga(f"P{i % 2300:05d}",               # ids 0..299 occur twice:
                          aggiornato_il=f"2026-03-0{1 + i // 1000}T10:00",  # later wins
                          stato="erogata" if i < 1000 else "non_presentato", **campi))
    return scrivi_export(path, righe, **extra)


def _registro(engine: Engine) -> dict[str, pl.DataFrame]:
    schema_p = {"id_prenotazione": pl.String(), "stato": pl.String(),
                "data_appuntamento": pl.Datetime("us")}
    return {
        "prenotazione": db.read_frame(
            engine, "SELECT id_prenotazione, stato, data_appuntamento FROM prenotazione",
            schema_p).sort("id_prenotazione"),
        "storia": db.read_frame(
            engine, "SELECT id_prenotazione, stato, data_appuntamento FROM prenotazione_storia",
            schema_p).sort("id_prenotazione", "stato"),
        "scarto": db.read_frame(
            engine, "SELECT riga, campo, motivo FROM scarto",
            {"riga": pl.Int64(), "campo": pl.String(), "motivo": pl.String()}
        ).sort("riga", "campo"),
    }


def _riepilogo(esito: Any) -> dict[str, Any]:
    d = esito.as_dict()
    return {k: d[k] for k in ("righe", "accettate", "scartate", "nuove", "aggiornate",
                              "invariate", "obsolete", "duplicate")}


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_the_batch_size_changes_nothing(registro: Engine, settings: Settings, tmp_path: Path,
                                        encoding: str, db_url: str) -> None:
    path = _export(tmp_path / "cup.csv", sep=";", encoding=encoding)
    a = ingest(path, engine=registro, settings=settings.model_copy(
        update={"righe_per_lotto": 1000}))
    piccoli = _registro(registro)
    scarti_piccoli = Path(a.file_scarti).read_text(encoding="utf-8")

    from registro.db import make_engine, migrate

    altro_url = db_url.replace("registro.db", "altro.db") if "sqlite" in db_url else None
    if altro_url is None:  # PostgreSQL: a second register is a second database
        return _confronta_pg(registro, settings, path, piccoli, a)
    altro = make_engine(altro_url)
    migrate(altro)
    importa_catalogo(catalogo_nazionale(), engine=altro)
    b = ingest(path, engine=altro, settings=settings)
    assert _riepilogo(a) == _riepilogo(b)
    for nome, frame in _registro(altro).items():
        assert frame.equals(piccoli[nome]), nome
    scarti_interi = Path(b.file_scarti).read_text(encoding="utf-8")
    assert scarti_piccoli == scarti_interi
    altro.dispose()
    _controlla(a)


def _confronta_pg(engine: Engine, settings: Settings, path: Path,
                  piccoli: dict[str, pl.DataFrame], a: Any) -> None:
    """On PostgreSQL the same file again, whole, must find everything unchanged."""
    b = ingest(path, engine=engine, settings=settings)
    assert (b.invariate, b.nuove, b.aggiornate, b.scartate) == (a.nuove, 0, 0, a.scartate)
    dopo = _registro(engine)
    for nome in ("prenotazione", "storia"):
        assert dopo[nome].equals(piccoli[nome]), nome
    # each run records its own rejects: the second run's are the first's again
    assert dopo["scarto"].equals(pl.concat([piccoli["scarto"]] * 2).sort("riga", "campo"))
    _controlla(a)


def _controlla(esito: Any) -> None:
    scartate = {i for i in range(RIGHE) if i % 397 == 5 or i % 211 == 7}
    accettate = [i % 2300 for i in range(RIGHE) if i not in scartate]
    assert esito.righe == RIGHE
    assert esito.scartate == len(scartate)
    assert esito.duplicate == len(accettate) - len(set(accettate)) > 250
    assert esito.nuove == esito.accettate - esito.duplicate


def test_the_later_version_wins_across_batches(registro: Engine, settings: Settings,
                                              tmp_path: Path) -> None:
    ingest(_export(tmp_path / "cup.csv"), engine=registro,
           settings=settings.model_copy(update={"righe_per_lotto": 1000}))
    stati = dict(_registro(registro)["prenotazione"].select("id_prenotazione", "stato")
                 .iter_rows())
    assert stati["P00000"] == "non_presentato"   # line 2302 (third batch) beats line 2
    assert stati["P00300"] == "erogata"          # only once


def test_a_file_broken_past_the_first_batch_writes_nothing(registro: Engine,
                                                           settings: Settings,
                                                           tmp_path: Path) -> None:
    path = _export(tmp_path / "cup.csv")
    with open(path, "ab") as fh:
        fh.write(b'P99999,"non chiuso,2026-03-02T10:00\n')
    with pytest.raises(ErroreUtente, match="CSV illeggibile"):
        ingest(path, engine=registro, settings=settings.model_copy(
            update={"righe_per_lotto": 1000}))
    vuoto = _registro(registro)
    assert all(frame.height == 0 for frame in vuoto.values())
    assert not list((Path(settings.data_dir) / "lavoro").glob("*"))


def test_an_undefined_byte_deep_in_a_cp1252_file_is_refused(registro: Engine,
                                                            settings: Settings,
                                                            tmp_path: Path) -> None:
    path = _export(tmp_path / "cup.csv", encoding="cp1252")
    dati = path.read_bytes()
    path.write_bytes(dati + b"P99999,\x81\n" + "è".encode("cp1252"))
    with pytest.raises(ErroreUtente, match=r"byte 0x81 alla posizione \d+"):
        ingest(path, engine=registro, settings=settings)
    assert _registro(registro)["prenotazione"].height == 0


def test_spill_folders_a_killed_ingest_left_are_removed(registro: Engine, settings: Settings,
                                                        tmp_path: Path) -> None:
    lavoro = Path(settings.data_dir) / "lavoro"
    vecchia, recente = lavoro / "ingest-vecchia", lavoro / "ingest-recente"
    for cartella in (vecchia, recente):
        (cartella / "validi").mkdir(parents=True)
    os.utime(vecchia, (time.time() - 2 * 86_400,) * 2)
    ingest(scrivi_export(tmp_path / "a.csv", [riga("P1")]), engine=registro, settings=settings)
    assert not vecchia.exists()
    assert recente.exists()   # another ingest may be using it
