"""A first load whose keys are all distinct goes straight into the empty table
(cup.ingest `_primo_carico`): the register it leaves is the one the staging path leaves."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

import cup.ingest as modulo_ingest
from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro.db import make_engine, migrate
from registro.letture import leggi_prenotazioni
from registro.settings import Settings, load_settings


def _registro(engine: Engine) -> tuple[pl.DataFrame, list[tuple[object, ...]], int]:
    with engine.connect() as c:
        sedi = [tuple(r) for r in c.execute(text(
            "SELECT codice, nome, da_completare FROM sede ORDER BY codice")).all()]
        storia = int(c.execute(text("SELECT COUNT(*) FROM prenotazione_storia")).scalar_one())
    return leggi_prenotazioni(engine).sort("id_prenotazione"), sedi, storia


def test_the_direct_first_load_equals_the_staging_path(engine: Engine, settings: Settings,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "cup.csv"
    genera_prenotazioni(3_000, seed=7, anno=2025).sample(fraction=1.0, shuffle=True, seed=1
                                                        ).write_csv(file, null_value="")
    importa_catalogo(catalogo_nazionale(), engine=engine)
    chiamate: list[int] = []
    diretto = modulo_ingest._primo_carico

    def _conta(*args: object, **kwargs: object) -> tuple[int, int]:
        chiamate.append(1)
        return diretto(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(modulo_ingest, "_primo_carico", _conta)
    esito = ingest(file, engine=engine, settings=settings)
    assert chiamate == [1]

    # the same file through the staging table, in another register
    altre = load_settings(db_url=f"sqlite:///{tmp_path / 'altro.db'}",
                          data_dir=tmp_path / "altri", chiave_pseudonimi="chiave-di-prova")
    altro = make_engine(altre.db_url)
    try:
        migrate(altro)
        importa_catalogo(catalogo_nazionale(), engine=altro)
        monkeypatch.setattr(modulo_ingest, "_chiavi_uniche", lambda *_a: False)
        esito_appoggio = ingest(file, engine=altro, settings=altre)
        assert chiamate == [1]
        atteso = _registro(altro)
    finally:
        altro.dispose()

    assert (esito.nuove, esito.aggiornate, esito.invariate, esito.obsolete, esito.duplicate,
            esito.sedi_nuove) == (esito_appoggio.nuove, 0, 0, 0, 0, esito_appoggio.sedi_nuove)
    assert esito.nuove == 3_000 and esito.sedi_nuove > 0
    prenotazioni, sedi, storia = _registro(engine)
    assert prenotazioni.equals(atteso[0])
    assert sedi == atteso[1] and storia == atteso[2] == 0


def test_a_first_load_with_a_key_twice_takes_the_staging_path(
        engine: Engine, settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    righe = genera_prenotazioni(50, seed=3, anno=2025)
    file = tmp_path / "cup.csv"
    pl.concat([righe, righe.head(1)]).write_csv(file, null_value="")
    importa_catalogo(catalogo_nazionale(), engine=engine)
    monkeypatch.setattr(modulo_ingest, "_primo_carico", None)  # would fail if called
    esito = ingest(file, engine=engine, settings=settings)
    assert (esito.nuove, esito.duplicate) == (50, 1)
