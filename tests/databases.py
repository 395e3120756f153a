"""Fresh, migrated databases for tests: SQLite always; PostgreSQL when
``TIERZERO_TEST_DATABASE_URL`` is set (a throwaway database is created and dropped per use)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from tierzero import migrate
from tierzero.db import driver_url


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TIERZERO_TEST_DATABASE_URL") else ["sqlite"]


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """Yield the URL of an empty database with all migrations applied."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / f'tierzero-{uuid.uuid4().hex[:8]}.db'}"
        migrate.upgrade(url)
        yield url
        return
    admin_url = driver_url(os.environ["TIERZERO_TEST_DATABASE_URL"])
    name = f"tz_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
