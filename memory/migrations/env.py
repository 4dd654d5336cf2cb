"""Alembic environment: migrations run on the engine Leadpilot hands over (SQLite or PostgreSQL)."""

from alembic import context
from sqlalchemy import create_engine

from leadpilot.memory.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: take the URL from alembic.ini / -x url=
        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
        engine = create_engine(url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE support on SQLite
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
