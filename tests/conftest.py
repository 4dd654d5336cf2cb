"""Shared fixtures: a pinned clock, clean settings, and real databases (SQLite always, PostgreSQL
when LEADPILOT_TEST_DATABASE_URL points at a server; CI sets it and LEADPILOT_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadpilot.clock import Clock
from leadpilot.memory.db import Database, open_database
from leadpilot.settings import get_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
PG_URL = os.environ.get("LEADPILOT_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts with its own data dir, a pinned clock and no stray LEADPILOT_* settings."""
    for name in list(os.environ):
        if (name.startswith("LEADPILOT_") and name not in {"LEADPILOT_TEST_DATABASE_URL", "LEADPILOT_REQUIRE_POSTGRES"}) or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEADPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEADPILOT_NOW", NOW.isoformat())
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def clock() -> Clock:
    return Clock(pinned=NOW)


def _fresh_postgres_database() -> str:
    if not PG_URL:
        if os.environ.get("LEADPILOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("LEADPILOT_REQUIRE_POSTGRES=1 but LEADPILOT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL run: set LEADPILOT_TEST_DATABASE_URL (see .ci/start-postgres)")
    name = f"lp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = _fresh_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database (for tests that do not depend on the backend)."""
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield database
    finally:
        database.dispose()
