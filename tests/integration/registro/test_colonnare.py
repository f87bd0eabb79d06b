"""The columnar mirror: used only when it matches the database, rebuilt otherwise, and the
statistics it gives equal those read from the database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro import colonnare
from registro.check import check
from registro.db import transazione
from registro.letture import leggi_prenotazioni
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import carica_profilo
from reports.stats import tabella_prestazioni


@pytest.fixture
def registro(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    ingest(scrivi_export(tmp_path / "a.csv", [
        riga("P1"), riga("P2", data_appuntamento="2026-03-20T09:00"),
        riga("P3", codice_prestazione="90.62.2", data_appuntamento="2026-03-03T09:00"),
    ]), engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2026, 12, 31))
    return engine


def _ordinate(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort("id_prenotazione")


def test_check_writes_a_mirror_equal_to_the_database(registro: Engine,
                                                      settings: Settings) -> None:
    path = colonnare.percorso(settings)
    assert path.is_file()
    assert (pl.read_parquet_metadata(path)[colonnare.CHIAVE_METADATI]
            == colonnare.impronta(registro))
    dal_db = _ordinate(leggi_prenotazioni(registro))
    assert _ordinate(pl.read_parquet(path)).equals(dal_db)
    profilo = carica_profilo("carta1995", None)
    periodo = Periodo.parse("2026")
    assert tabella_prestazioni(colonnare.prenotazioni(registro, settings), profilo=profilo,
                               periodo=periodo).equals(
        tabella_prestazioni(dal_db.lazy(), profilo=profilo, periodo=periodo))


@pytest.mark.parametrize("specchio_valido", [True, False])
def test_codes_read_as_categoricals_give_the_same_table(registro: Engine, settings: Settings,
                                                        specchio_valido: bool) -> None:
    """The statistics' dictionary-coded read (from the mirror, or from the database when
    the mirror is stale) changes the types of the codes only, never a number or the order."""
    if not specchio_valido:
        colonnare.percorso(settings).unlink()
    categorici = colonnare.prenotazioni(registro, settings, codici_categorici=True).collect()
    assert {categorici.schema[c] for c in colonnare.CODICI} == {pl.Categorical()}
    testo = leggi_prenotazioni(registro)
    assert _ordinate(categorici.with_columns(
        pl.col(c).cast(pl.String) for c in colonnare.CODICI)).equals(_ordinate(testo))
    for profilo in (carica_profilo("carta1995", None), carica_profilo("pngla", None)):
        periodo = Periodo.parse("2026")
        attesa = tabella_prestazioni(testo.lazy(), profilo=profilo, periodo=periodo)
        assert attesa.height > 0
        assert tabella_prestazioni(categorici.lazy(), profilo=profilo,
                                   periodo=periodo).equals(attesa)


def test_a_new_ingest_makes_the_mirror_stale(registro: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    prima = os.stat(colonnare.percorso(settings)).st_mtime_ns
    ingest(scrivi_export(tmp_path / "b.csv", [riga("P4")]), engine=registro,
           settings=settings)
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert sorted(letti["id_prenotazione"]) == ["P1", "P2", "P3", "P4"]
    # rebuilt, and now current: a second read uses it as it is
    assert os.stat(colonnare.percorso(settings)).st_mtime_ns != prima
    assert isinstance(colonnare.prenotazioni(registro, settings), pl.LazyFrame)
    assert (pl.read_parquet_metadata(colonnare.percorso(settings))[colonnare.CHIAVE_METADATI]
            == colonnare.impronta(registro))


def test_a_catalog_change_makes_the_mirror_stale(registro: Engine, settings: Settings) -> None:
    with registro.begin() as conn:
        conn.execute(text("UPDATE prestazione SET tipo = 'laboratorio' WHERE codice = '89.7'"))
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert set(letti.filter(pl.col("codice_prestazione") == "89.7")["tipo"]) == {"laboratorio"}


def test_a_mirror_of_another_register_is_not_used(registro: Engine, settings: Settings) -> None:
    """What a restored backup looks like: a mirror whose impronta is not this database's."""
    falso = pl.read_parquet(colonnare.percorso(settings)).head(1)
    colonnare.scrivi(falso, settings, "un-altro-registro")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3


def test_a_damaged_mirror_is_ignored_and_rebuilt(registro: Engine, settings: Settings) -> None:
    colonnare.percorso(settings).write_bytes(b"non parquet")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3
    assert pl.read_parquet(colonnare.percorso(settings)).height == 3


def test_an_unwritable_mirror_path_costs_only_speed(registro: Engine, settings: Settings,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A directory where the file should be: the write fails, the read still answers."""
    path = colonnare.percorso(settings)
    path.unlink()
    path.mkdir()
    (path / "x").write_text("occupato")
    assert colonnare.prenotazioni(registro, settings).collect().height == 3
    assert "copia colonnare non scritta" in caplog.text


# --- issue 18, item 6: a mirror damaged in any way is rebuilt from the database, and the
# CLI `registro stats` and the API `/stats` answer as before the damage.

def _registro_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": settings.chiave_pseudonimi or "",
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def _tronca(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _nel_mezzo(path: Path) -> None:
    """Bytes flipped in the middle of the data, the footer (metadata, impronta) intact."""
    dati = bytearray(path.read_bytes())
    fine_dati = len(dati) - int.from_bytes(dati[-8:-4], "little") - 8
    for i in range(fine_dati // 10, fine_dati * 9 // 10, 97):  # every column chunk
        dati[i] ^= 0x5A
    path.write_bytes(bytes(dati))


def _cancella(path: Path) -> None:
    path.unlink()


def _spazzatura(path: Path) -> None:
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(path.stat().st_size)))


@pytest.fixture
def registro_grande(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Enough bookings for the mirror to have a middle: several pages per column."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    codici = ("89.7", "90.62.2", "88.71.4", "89.13")
    righe = [riga(f"G{i:05d}", codice_prestazione=codici[i % 4],
                  codice_sede=f"S00{i % 3 + 1}",
                  data_prenotazione=f"2026-0{i % 6 + 1}-0{i % 9 + 1}T10:00",
                  data_appuntamento=f"2026-0{i % 6 + 1}-{i % 9 + 10}T09:00")
             for i in range(6000)]
    ingest(scrivi_export(tmp_path / "g.csv", righe), engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2026, 12, 31))
    return engine


@pytest.mark.parametrize("danno", [_tronca, _nel_mezzo, _cancella, _spazzatura])
def test_a_mirror_damaged_in_any_way_is_rebuilt(registro_grande: Engine, settings: Settings,
                                                tmp_path: Path, danno: Any) -> None:
    from fastapi.testclient import TestClient

    from servizio.api import service
    from servizio.api.app import create_app

    with transazione(registro_grande) as session:
        token = service.crea_token(session=session, nome="lettore", ruolo="lettura")

    def api() -> Any:
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            r = c.get("/stats", params={"period": "2026"},
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()

    def cli(nome: str) -> str:
        out = tmp_path / nome
        res = _registro_cli(settings, "stats", "--period", "2026", "--format", "csv",
                            "--out", str(out))
        assert res.returncode == 0, res.stderr
        assert "Traceback" not in res.stderr
        return out.read_text(encoding="utf-8")

    path = colonnare.percorso(settings)
    assert path.is_file()
    prima_cli, prima_api = cli("prima.csv"), api()
    assert len(prima_api) >= 8
    for leggi in (cli, api):
        danno(path)
        dopo = leggi("dopo.csv") if leggi is cli else leggi()
        assert dopo == (prima_cli if leggi is cli else prima_api), (danno.__name__, leggi)
        # rebuilt: a sound mirror of this register again
        assert (pl.read_parquet_metadata(path)[colonnare.CHIAVE_METADATI]
                == colonnare.impronta(registro_grande))
        assert pl.read_parquet(path).height == 6000
