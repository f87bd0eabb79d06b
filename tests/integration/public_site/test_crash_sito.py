"""SIGKILL during `registro site build`: the published folder is always a whole site (the
previous one or the new one), never half of one, and the next build cleans up."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cup.synthetic import scrivi_csv
from registro.settings import Settings

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm

MARCATORE = ".registro-sito"


def _env(settings: Settings) -> dict[str, str]:
    return {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
            "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}


def _run(settings: Settings, *args: str) -> None:
    res = subprocess.run([sys.executable, "-m", "servizio.cli", *args], env=_env(settings),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr


def _contenuto(sito: Path) -> set[str]:
    return {str(p.relative_to(sito)) for p in sito.rglob("*") if p.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigkill_during_site_build(settings: Settings, tmp_path: Path) -> None:
    _run(settings, "init")
    _run(settings, "ingest", str(scrivi_csv(tmp_path / "cup.csv", rows=40_000, seed=2)))
    sito = tmp_path / "sito"
    _run(settings, "site", "build", "--out", str(sito), "--period", "2025")
    completo = _contenuto(sito)
    assert "index.html" in completo and MARCATORE in completo

    rng = random.Random(7)
    for _ in range(4):
        p = subprocess.Popen([sys.executable, "-m", "servizio.cli", "site", "build", "--out",
                              str(sito), "--period", "2025"], env=_env(settings),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=60)
        assert _contenuto(sito) == completo  # the old site or an identical new one, whole

    _run(settings, "site", "build", "--out", str(sito), "--period", "2025")
    assert _contenuto(sito) == completo
    resti = [p.name for p in tmp_path.iterdir()
             if p.name.startswith(".sito") and p.name != ".sito.lock"]
    assert resti == []
