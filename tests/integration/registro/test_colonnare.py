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
from supporto.colonnare import impronte, parti, specchio
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
        riga("P0", data_prenotazione="2025-12-30T10:00", data_appuntamento="2026-01-07T09:00"),
    ]), engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2026, 12, 31))
    return engine


def _ordinate(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort("id_prenotazione")


def test_check_writes_a_mirror_equal_to_the_database(registro: Engine,
                                                      settings: Settings) -> None:
    radice = colonnare.percorso(settings)
    assert radice.is_symlink()
    assert [p.relative_to(radice).as_posix() for p in parti(settings)] == [
        "ente=asl-di-esempio/anno=2025/parte-0.parquet",
        "ente=asl-di-esempio/anno=2026/parte-0.parquet"]
    assert impronte(settings) == {colonnare.impronta(registro)}
    dal_db = _ordinate(leggi_prenotazioni(registro))
    assert _ordinate(specchio(settings)).equals(dal_db)
    # what the statistics read: the same frame, the same schema, no partition columns
    assert _ordinate(colonnare.prenotazioni(registro, settings).collect()).equals(dal_db)
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


@pytest.mark.parametrize("specchio_valido", [True, False])
def test_the_statistics_columns_alone_give_the_same_table(registro: Engine, settings: Settings,
                                                         specchio_valido: bool) -> None:
    """`colonne=`: only those columns, in that order, from the mirror or from the database;
    `reports.stats.COLONNE_LETTE` are all the table needs, under either profile and reading
    (a column missing from the list would change the table, not raise)."""
    from reports.stats import COLONNE_LETTE

    with transazione(registro) as conn:  # a periodic test: no target under carta1995
        conn.execute(text("UPDATE prestazione SET periodica = true WHERE codice = '90.62.2'"))
    check(engine=registro, settings=settings, oggi=date(2026, 12, 31))
    if not specchio_valido:
        colonnare.percorso(settings).unlink()
    lette = colonnare.prenotazioni(registro, settings, colonne=COLONNE_LETTE,
                                   codici_categorici=True).collect()
    assert lette.columns == COLONNE_LETTE
    testo = leggi_prenotazioni(registro)
    for nome in ("carta1995", "pngla"):
        profilo = carica_profilo(nome, None)
        for lettura in ("ex_ante", "ex_post"):
            periodo = Periodo.parse("2026")
            attesa = tabella_prestazioni(testo.lazy(), profilo=profilo, periodo=periodo,
                                         lettura=lettura)
            assert attesa.height > 0
            assert tabella_prestazioni(lette.lazy(), profilo=profilo, periodo=periodo,
                                       lettura=lettura).equals(attesa), (nome, lettura)


def test_a_new_ingest_makes_the_mirror_stale(registro: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    prima = os.readlink(colonnare.percorso(settings))
    ingest(scrivi_export(tmp_path / "b.csv", [riga("P4")]), engine=registro,
           settings=settings)
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert sorted(letti["id_prenotazione"]) == ["P0", "P1", "P2", "P3", "P4"]
    # rebuilt, and now current: a second read uses it as it is
    dopo = os.readlink(colonnare.percorso(settings))
    assert dopo != prima
    assert isinstance(colonnare.prenotazioni(registro, settings), pl.LazyFrame)
    assert os.readlink(colonnare.percorso(settings)) == dopo
    assert impronte(settings) == {colonnare.impronta(registro)}
    # the version it replaced is kept (a reader may be reading it), older ones are not
    versioni = sorted(p.name for p in colonnare.cartella(settings).iterdir())
    assert versioni == sorted([prima, dopo, "prenotazioni"])


def test_a_catalog_change_makes_the_mirror_stale(registro: Engine, settings: Settings) -> None:
    with registro.begin() as conn:
        conn.execute(text("UPDATE prestazione SET tipo = 'laboratorio' WHERE codice = '89.7'"))
    letti = colonnare.prenotazioni(registro, settings).collect()
    assert set(letti.filter(pl.col("codice_prestazione") == "89.7")["tipo"]) == {"laboratorio"}


def test_a_mirror_of_another_register_is_not_used(registro: Engine, settings: Settings) -> None:
    """What a restored backup looks like: a mirror whose impronta is not this database's."""
    falso = specchio(settings).head(1)
    colonnare.scrivi(falso, settings, "un-altro-registro")
    assert colonnare.prenotazioni(registro, settings).collect().height == 4


def test_a_damaged_mirror_is_ignored_and_rebuilt(registro: Engine, settings: Settings) -> None:
    parti(settings)[0].write_bytes(b"non parquet")
    assert colonnare.prenotazioni(registro, settings).collect().height == 4
    assert specchio(settings).height == 4


def test_a_partition_missing_or_foreign_is_seen(registro: Engine, settings: Settings) -> None:
    """Every file is sound and carries the impronta, but one year is gone, or a file of
    another dataset was added: the sums would be wrong, the mirror is rebuilt."""
    parti(settings)[0].unlink()
    assert colonnare.prenotazioni(registro, settings).collect().height == 4
    assert specchio(settings).height == 4
    estranea = parti(settings)[1].parent.parent / "anno=2024" / "parte-0.parquet"
    estranea.parent.mkdir()
    estranea.write_bytes(parti(settings)[1].read_bytes())
    assert colonnare.prenotazioni(registro, settings).collect().height == 4
    assert specchio(settings).height == 4


def test_another_codice_ente_rebuilds_the_mirror(registro: Engine, settings: Settings) -> None:
    altro = settings.model_copy(update={"codice_ente": "080101"})
    assert colonnare.prenotazioni(registro, altro).collect().height == 4
    assert {p.parent.parent.name for p in parti(altro)} == {"ente=080101"}


def test_a_real_directory_in_place_of_the_link_is_read_and_replaced(
        registro: Engine, settings: Settings) -> None:
    """A copy that followed the link (cp -rL, a backup tool) is a plain directory."""
    import shutil

    radice = colonnare.percorso(settings)
    versione = radice.resolve()
    radice.unlink()
    shutil.copytree(versione, radice)
    assert colonnare.prenotazioni(registro, settings).collect().height == 4
    ingest(scrivi_export(Path(settings.data_dir) / "b.csv", [riga("P4")]), engine=registro,
           settings=settings)
    assert colonnare.prenotazioni(registro, settings).collect().height == 5
    assert radice.is_symlink()
    assert specchio(settings).height == 5


def test_an_unwritable_mirror_path_costs_only_speed(registro: Engine, settings: Settings,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A file where the mirror's folder should be: the write fails, the read still
    answers."""
    import shutil

    cartella = colonnare.cartella(settings)
    shutil.rmtree(cartella)
    cartella.write_text("occupato")
    assert colonnare.prenotazioni(registro, settings).collect().height == 4
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


def _cartella_cancellata(path: Path) -> None:
    import shutil

    shutil.rmtree(path.parent.parent.parent.resolve())


def _spazzatura(path: Path) -> None:
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(path.stat().st_size)))


@pytest.fixture
def registro_grande(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Enough bookings for the mirror to have a middle: several pages per column."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    codici = ("89.7", "90.62.2", "88.71.4", "89.13")
    righe = [riga(f"G{i:05d}", codice_prestazione=codici[i % 4],
                  codice_sede=f"S00{i % 3 + 1}",
                  data_prenotazione=f"{2025 + i % 5 // 4}-0{i % 6 + 1}-0{i % 9 + 1}T10:00",
                  data_appuntamento=f"2026-0{i % 6 + 1}-{i % 9 + 10}T09:00")
             for i in range(6000)]
    ingest(scrivi_export(tmp_path / "g.csv", righe), engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2026, 12, 31))
    return engine


@pytest.mark.parametrize("danno", [_tronca, _nel_mezzo, _cancella, _spazzatura,
                                   _cartella_cancellata])
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

    assert len(parti(settings)) == 2  # 2025 and 2026: the damage hits the year asked for
    prima_cli, prima_api = cli("prima.csv"), api()
    assert len(prima_api) >= 8
    for leggi in (cli, api):
        danno(parti(settings)[-1])
        dopo = leggi("dopo.csv") if leggi is cli else leggi()
        assert dopo == (prima_cli if leggi is cli else prima_api), (danno.__name__, leggi)
        # rebuilt: a sound mirror of this register again
        assert impronte(settings) == {colonnare.impronta(registro_grande)}
        assert specchio(settings).height == 6000


def test_bookings_without_a_booking_date_go_to_the_hive_null_partition(
        registro: Engine, settings: Settings) -> None:
    """What DuckDB (and Spark, Trino) read as a null `anno`; a register without bookings is
    one empty file there, still carrying the impronta."""
    import duckdb

    frame = specchio(settings).with_columns(data_prenotazione=pl.when(
        pl.col("id_prenotazione") == "P1").then(None).otherwise(pl.col("data_prenotazione")))
    colonnare.scrivi(frame, settings, "prova")
    assert [p.parent.name for p in parti(settings)] == [
        "anno=2025", "anno=2026", "anno=__HIVE_DEFAULT_PARTITION__"]
    letti = duckdb.sql(
        f"SELECT id_prenotazione, anno FROM read_parquet('{colonnare.percorso(settings)}/*/*/"
        "*.parquet', hive_partitioning = true, hive_types = {'ente': 'VARCHAR', "
        "'anno': 'INTEGER'}) ORDER BY id_prenotazione").fetchall()
    assert letti == [("P0", 2025), ("P1", None), ("P2", 2026), ("P3", 2026)]

    colonnare.scrivi(frame.head(0), settings, "vuoto")
    assert [p.parent.name for p in parti(settings)] == ["anno=__HIVE_DEFAULT_PARTITION__"]
    assert impronte(settings) == {"vuoto"}
    vuoto = colonnare.leggi_se(settings, "vuoto", 10, colonnare.digest(
        colonnare.percorso(settings)) or "")
    assert vuoto is not None and vuoto.prenotazioni.height == 0
    assert dict(vuoto.prenotazioni.schema) == dict(frame.schema)
