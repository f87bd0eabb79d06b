"""What docs/installazione.md ships: the systemd units are valid for systemd (checked by
`systemd-analyze verify`, with the executable pointed at this checkout's, since
/opt/registro does not exist here), and the files the guide names exist. `systemd-analyze`
comes with Debian's systemd, which scripts/pacchetti-sistema.sh installs when missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from supporto import RADICE

UNITA = sorted((RADICE / "deploy" / "systemd").glob("registro-*"))


def test_the_units_the_guide_names_are_shipped() -> None:
    guida = (RADICE / "docs" / "installazione.md").read_text(encoding="utf-8")
    nomi = {p.name for p in UNITA}
    assert nomi == {"registro-api.service", "registro-scheduler.service",
                    "registro-backup.service", "registro-backup.timer"}
    for nome in nomi | {"registro.conf", "registro.env.esempio"}:
        assert nome in guida, nome


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    registro = Path(sys.executable).with_name("registro")
    assert registro.exists()
    for unita in UNITA:
        testo = unita.read_text(encoding="utf-8")
        (tmp_path / unita.name).write_text(
            testo.replace("/opt/registro/.venv/bin/registro", str(registro)), encoding="utf-8")
    esito = subprocess.run(["systemd-analyze", "verify",
                            *(str(tmp_path / u.name) for u in UNITA)],
                           capture_output=True, text=True, timeout=120)
    assert esito.returncode == 0, esito.stderr
    # unknown keys and bad values are only warnings for systemd: none may appear
    assert esito.stderr.strip() == "", esito.stderr
