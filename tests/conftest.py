"""Shared fixtures: one suite, both databases.

`engine` is parametrised over SQLite (a file per test) and PostgreSQL (a database per test,
cloned from a migrated template): every test runs on both, isolated. Tests on PostgreSQL
carry the `postgres` mark, so `pytest -m "not postgres"` is the quick set; CI runs all, and
fails if anything was skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from registro.db import make_engine, migrate
from registro.settings import Settings, load_settings

PG_ADMIN = os.environ.get("REGISTRO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEMPLATE = f"registro_tpl_{os.getpid()}"


def _pg_admin() -> object:
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def _pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = make_engine(_pg_url(TEMPLATE))
    migrate(engine)
    engine.dispose()
    yield TEMPLATE
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registro.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"registro_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _pg_url(name)
    with _pg_admin() as conn:  # type: ignore[attr-defined]
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(db_url=db_url, data_dir=tmp_path / "dati",
                         chiave_pseudonimi="chiave-di-prova")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real-data tests need the folder named by REGISTRO_DATI_REALI (a file whose licence
    keeps it out of the repository). Without it they are left out with one line; in CI that
    is an error, since CI must run everything."""
    if os.environ.get("REGISTRO_DATI_REALI"):
        return
    reali = [i for i in items if i.get_closest_marker("dati_reali")]
    if not reali:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI: REGISTRO_DATI_REALI non impostata, i test sui dati reali "
                                "non possono girare")
    config.hook.pytest_deselected(items=reali)
    items[:] = [i for i in items if not i.get_closest_marker("dati_reali")]
    config.stash[_NON_ESEGUITI] = len(reali)


_NON_ESEGUITI = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    n = terminalreporter.config.stash.get(_NON_ESEGUITI, 0)
    if n:
        terminalreporter.write_line(
            f"{n} test sui dati reali non eseguiti: REGISTRO_DATI_REALI non indica la cartella "
            "con KaggleV2-May-2016.csv (vedi README, «Dati reali»)", yellow=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: a skip hides a missing part."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(f"CI: {skipped} test saltati: in CI ogni test deve girare",
                                red=True)
        session.exitstatus = 1
