"""`registro site build` end to end (the command group as servizio.cli.principale registers it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from supporto.prenotazioni import riga, scrivi_export
from typer.testing import CliRunner

from registro.errors import ErroreUtente
from registro.settings import Settings
from servizio.cli.sito import site_app

pytestmark = pytest.mark.npm  # builds the site: needs Bootstrap Italia from npm


def _app() -> typer.Typer:
    """`registro` with the group registered as servizio.cli.principale does (`site`)."""
    app = typer.Typer()

    @app.callback()
    def _globali() -> None:
        pass

    app.add_typer(site_app, name="site")
    return app


def _env(settings: Settings) -> dict[str, str]:
    return {"REGISTRO_DB_URL": settings.db_url, "REGISTRO_DATA_DIR": str(settings.data_dir),
            "REGISTRO_CHIAVE_PSEUDONIMI": settings.chiave_pseudonimi or ""}


def test_site_build_prints_index(settings: Settings, tmp_path: Path) -> None:
    from cup.ingest import ingest
    from servizio.cli.comune import apri_registro, schema_pronto

    engine = apri_registro(settings)
    schema_pronto(engine)
    ingest(scrivi_export(tmp_path / "cup.csv", [riga(f"P{i}") for i in range(6)]),
           engine=engine, settings=settings)
    engine.dispose()
    out = tmp_path / "sito"
    result = CliRunner().invoke(_app(), ["site", "build", "--out", str(out), "--period", "2026-03"],
                                env=_env(settings))
    assert result.exit_code == 0, result.output
    assert str(out / "index.html") in result.output.replace("\n", "")
    pagina = (out / "prestazioni" / "89.7.html").read_text(encoding="utf-8")
    assert "periodo 2026-03" in pagina
    assert "avviso:" in result.output  # footer links not configured: reported


def test_site_build_bad_period_is_a_user_error(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["site", "build", "--out", str(tmp_path / "s"),
                                           "--period", "2026-13"], env=_env(settings))
    assert isinstance(result.exception, ErroreUtente)
    assert "periodo non valido" in str(result.exception)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(("args", "testo"), [(["site", "--help"], "build"),
                                             (["site", "build", "--help"], "--period")])
def test_site_help(args: list[str], testo: str) -> None:
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0 and testo in result.output
