"""Engines, sessions and migrations. Nothing here runs at import time: callers open a Database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from functools import cache
from importlib.resources import files
import re
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from leadpilot.settings import SettingsError


@dataclass(frozen=True)
class Database:
    """One database: its engine and a session factory. Built by the interfaces, passed in deps."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    # Derived data worth keeping between runs (e.g. the planner's vocabulary), keyed by callers
    # together with a fingerprint of what it was derived from; never the source of truth.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    def session(self) -> Session:
        return self.sessions()

    @contextmanager
    def read_only(self, *, timeout_ms: int) -> Iterator[Session]:
        """A session that cannot write and whose statements stop after `timeout_ms`.

        The database enforces both (SQLite: PRAGMA query_only plus a progress handler that aborts
        long statements; PostgreSQL: a READ ONLY transaction with a local statement_timeout), so
        a bug in a tool cannot turn a read into a write.
        """
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                # The pragmas go straight to the driver's connection: they open no transaction, and
                # through SQLAlchemy they cost more than a cached query (a warm `ask` makes 4 reads).
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA query_only = ON")
                deadline = time.monotonic() + timeout_ms / 1000
                raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            else:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            try:
                with Session(bind=connection) as session:
                    yield session
            finally:
                connection.rollback()
                if self.dialect == "sqlite":
                    raw.set_progress_handler(None, 0)
                    raw.execute("PRAGMA query_only = OFF")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        from leadpilot.memory.sqlite_gate import GatedConnection

        # Writers of this process queue for the file's write lock in Python, not in SQLite's sleeps.
        engine = create_engine(url, connect_args={"timeout": 10, "factory": GatedConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("leadpilot.memory.migrations")))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest). A store already at the newest revision
    is left alone without loading Alembic (a third of a second of every command's start)."""
    stored = _stored_revision(engine)
    if revision == "head" and (head := head_revision()) is not None and stored == head:
        return
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as error:
        if stored is None or "locate revision" not in str(error):
            raise
        raise StoreVersionError(
            f"The store at {engine.url.render_as_string(hide_password=True)} has schema revision {stored}, which this "
            f"Leadpilot does not know (its newest is {head_revision() or 'unknown'}): a newer or a development version "
            "wrote it. Run that version, or point LEADPILOT_DATABASE_URL (or LEADPILOT_DATA_DIR) at another store — "
            "for a fresh demo, move the old store aside and run `leadpilot seed`."
        ) from None


class StoreVersionError(SettingsError):
    """The store was written by a Leadpilot whose migrations this one does not have."""


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w]+)['\"]?", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files (the one no other follows)."""
    revisions, followed = set(), set()
    for path in files("leadpilot.memory.migrations").joinpath("versions").iterdir():
        if not path.name.endswith(".py") or path.name.startswith("__"):
            continue
        found = dict((key, value) for key, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
        if found.get("down_revision") not in (None, "None"):
            followed.add(found["down_revision"])
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None  # several heads (a branch): let Alembic decide


def _stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the store's alembic_version table (None: no such table yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:
        return None
    return rows[0] if len(rows) == 1 else None


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the database at `url`."""
    engine = make_engine(url)
    if upgrade:
        migrate(engine)
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
