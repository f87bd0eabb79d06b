"""Two authorities, each with its own register, send their Osservatorio returns; the region's
`registro stats --da-ritorni` equals `registro stats` on one register holding both exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from supporto.cli import registro

from cup.synthetic import scrivi_csv
from registro.settings import Settings, load_settings


def _registro(cartella: Path, *exports: Path) -> Settings:
    settings = load_settings(db_url=f"sqlite:///{cartella / 'r.db'}",
                             data_dir=cartella / "dati", chiave_pseudonimi="chiave")
    assert registro(settings, "init").returncode == 0
    for export in exports:
        res = registro(settings, "ingest", str(export))
        assert res.returncode == 0, res.stderr
    return settings


def test_stats_da_ritorni_equals_stats_on_the_union(tmp_path: Path) -> None:
    a = scrivi_csv(tmp_path / "a.csv", rows=4000, seed=21, anno=2025)
    b = scrivi_csv(tmp_path / "b.csv", rows=2500, seed=22, anno=2025)
    # the synthetic ids restart at 1 for every seed: the second authority's get a prefix
    pl.read_csv(b, infer_schema=False).with_columns(
        id_prenotazione="B" + pl.col("id_prenotazione")).write_csv(b)
    for nome, export in (("asl_a", a), ("asl_b", b)):
        settings = _registro(tmp_path / nome, export)
        env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
               "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "REGISTRO_ENTE": nome,
               "PATH": "/usr/bin:/bin"}
        res = subprocess.run([sys.executable, "-m", "servizio.cli", "report", "osservatorio",
                              "--period", "2025", "--out", str(tmp_path / "ritorni" / nome),
                              "--no-consegna"], capture_output=True, text=True, env=env)
        assert res.returncode == 0, res.stderr

    unione = _registro(tmp_path / "unione", a, b)
    for lettura in ("ex_ante", "ex_post"):
        attesa = tmp_path / f"unione_{lettura}.csv"
        res = registro(unione, "stats", "--period", "2025", "--lettura", lettura,
                       "--out", str(attesa))
        assert res.returncode == 0, res.stderr
        fusa = tmp_path / f"regionale_{lettura}.csv"
        res = registro(unione, "stats", "--period", "2025", "--lettura", lettura,
                       "--da-ritorni", str(tmp_path / "ritorni"), "--out", str(fusa))
        assert res.returncode == 0, res.stderr
        assert "2 enti" in res.stdout
        # Every statistic the returns carry is equal to the union's, to the byte; the share
        # out of order (Carta §5.1) needs the bookings' agendas, which an Osservatorio
        # return does not carry: the merge leaves it empty.
        fusa_df, attesa_df = pl.read_csv(fusa, infer_schema=False), pl.read_csv(
            attesa, infer_schema=False)
        assert fusa_df.drop("quota_fuori_ordine").equals(attesa_df.drop("quota_fuori_ordine"))
        assert fusa_df["quota_fuori_ordine"].null_count() == fusa_df.height
        assert attesa_df["quota_fuori_ordine"].null_count() < attesa_df.height
        assert fusa_df.height > 50


def test_stats_da_ritorni_refuses_another_profile(tmp_path: Path) -> None:
    settings = _registro(tmp_path / "asl", scrivi_csv(tmp_path / "a.csv", rows=300, seed=3,
                                                      anno=2025))
    res = registro(settings, "report", "osservatorio", "--period", "2025", "--out",
                   str(tmp_path / "ritorno"), "--no-consegna")
    assert res.returncode == 0, res.stderr
    res = registro(settings, "stats", "--period", "2025", "--profilo", "pngla",
                   "--da-ritorni", str(tmp_path / "ritorno"), "--out", str(tmp_path / "x.csv"))
    assert res.returncode == 2
    assert "profilo carta1995" in res.stderr
    assert not (tmp_path / "x.csv").exists()
