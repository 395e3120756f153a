"""Alembic environment: the URL comes from the caller (tierzero.migrate) or from settings."""

from __future__ import annotations

from alembic import context

import tierzero.models  # noqa: F401  (registers every table on Base.metadata)
from tierzero.db import Base, make_engine
from tierzero.settings import get_settings

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
