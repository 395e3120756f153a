"""KB test fixtures on top of the shared ones in tests/conftest.py (``engine``, ``session``).

``factory`` gives several sessions on one connection whose outer transaction is rolled back,
so a test can play two editors; their ``commit()`` releases a savepoint and fires the real
after-commit hooks. ``fresh_factory`` is an empty database of its own with real commits, for
writers running at the same time in threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from kb.search import KbIndex
from tests.databases import fresh_database
from tierzero.db import make_engine, make_session_factory


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    connection = engine.connect()
    outer = connection.begin()
    yield sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    outer.rollback()
    connection.close()


@pytest.fixture
def fresh_factory(database_url: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()


@pytest.fixture
def index() -> KbIndex:
    """The real search index (sparse signals only: fast and deterministic), empty and ready."""
    kb_index = KbIndex(dense=False)
    kb_index.rebuild([])
    return kb_index
