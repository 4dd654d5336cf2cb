"""Shared fixtures: a pinned clock, clean settings, and real databases (SQLite always, PostgreSQL
when LEADPILOT_TEST_DATABASE_URL points at a server; CI sets it and LEADPILOT_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os
import shutil
import tempfile
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


# Stores migrated to the newest revision once per session; tests get copies (a file copy on SQLite,
# CREATE DATABASE ... TEMPLATE on PostgreSQL) instead of running every migration again (~0.5-1 s each).
_TEMPLATES: dict[str, str] = {}


def _postgres_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _migrated_template(backend: str) -> str:
    """The session's migrated store: a SQLite file path, or a PostgreSQL database name."""
    if backend not in _TEMPLATES:
        if backend == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="lp-test-template-")) / "store.db"
            open_database(f"sqlite:///{path}").dispose()
            _TEMPLATES[backend] = str(path)
        else:
            url = _fresh_postgres_database()
            open_database(url).dispose()
            _TEMPLATES[backend] = make_url(url).database
    return _TEMPLATES[backend]


def fresh_store_url(backend: str, folder: Path) -> str:
    """A new store already at the newest schema revision (SQLite under `folder`, or a new PostgreSQL
    database: drop it with _drop_postgres_database)."""
    if backend == "postgresql":
        return _fresh_postgres_database(migrated=True)
    template = Path(_migrated_template("sqlite"))
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", folder / f"store.db{suffix}")
    return f"sqlite:///{folder / 'store.db'}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "sqlite" in _TEMPLATES:
        shutil.rmtree(Path(_TEMPLATES.pop("sqlite")).parent, ignore_errors=True)
    if "postgresql" in _TEMPLATES:
        _drop_postgres_database(_postgres_url(_TEMPLATES.pop("postgresql")))


def _fresh_postgres_database(*, migrated: bool = False) -> str:
    """A new PostgreSQL database: empty, or (migrated=True) a copy of the session's migrated one."""
    if not PG_URL:
        if os.environ.get("LEADPILOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("LEADPILOT_REQUIRE_POSTGRES=1 but LEADPILOT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL run: set LEADPILOT_TEST_DATABASE_URL (see .ci/start-postgres)")
    template = f' TEMPLATE "{_migrated_template("postgresql")}"' if migrated else ""
    name = f"lp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
    admin.dispose()
    return _postgres_url(name)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per backend (already migrated when the test also uses `db`, which
    would migrate it first thing anyway)."""
    migrated = "db" in request.fixturenames
    if request.param == "sqlite":
        yield fresh_store_url("sqlite", tmp_path) if migrated else f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = _fresh_postgres_database(migrated=migrated)
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
    database = open_database(fresh_store_url("sqlite", tmp_path))
    try:
        yield database
    finally:
        database.dispose()
