"""The `registro` command as the operators run it: a child process with its settings in the
environment only (nothing else from the test's environment leaks in)."""

from __future__ import annotations

import subprocess
import sys

from registro.settings import Settings


def registro(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
           "REGISTRO_CHIAVE_PSEUDONIMI": "chiave", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "servizio.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)
