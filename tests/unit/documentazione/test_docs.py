"""Docs cannot drift: every command and every setting is in the README."""

from __future__ import annotations

import typer.main
from supporto import RADICE

from registro.settings import Settings
from servizio.cli.principale import app

README = (RADICE / "README.md").read_text(encoding="utf-8")


def _comandi(group: object, prefix: str = "registro") -> list[str]:
    out = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(cmd, "commands"):
            out += _comandi(cmd, f"{prefix} {name}")
        else:
            out.append(f"{prefix} {name}")
    return out


def test_every_command_is_documented() -> None:
    comandi = _comandi(typer.main.get_command(app))
    assert len(comandi) >= 9
    mancanti = [c for c in comandi if f"`{c}" not in README]
    assert not mancanti, f"comandi non documentati nel README: {mancanti}"


def test_every_setting_is_documented() -> None:
    mancanti = [n for n in Settings.model_fields if f"| `{n}` |" not in README]
    assert not mancanti, f"impostazioni non documentate nel README: {mancanti}"
