"""Fresh, migrated databases for tests: SQLite always; PostgreSQL when
``TIERZERO_TEST_DATABASE_URL`` is set (a throwaway database is created and dropped per use)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tierzero import migrate


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
    with migrate.throwaway_postgres(os.environ["TIERZERO_TEST_DATABASE_URL"], "tz_test") as url:
        yield url


def redis_for_tests() -> str | None:
    """A Redis URL when one answers (``TIERZERO_TEST_REDIS_URL``, else the local default on a
    database of its own); None: the scale-out tests skip."""
    import redis

    url = os.environ.get("TIERZERO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except (redis.RedisError, OSError):
        return None
    return url
