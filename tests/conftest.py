"""Shared fixtures: a real migrated database per test module (SQLite, and PostgreSQL when
TIERZERO_TEST_DATABASE_URL is set); each test runs in a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.databases import backends, fresh_database
from tests.mail_sink import MailSink
from tests.stack import Stack, free_port, mail_settings, prepare, start
from tierzero.db import make_engine


@pytest.fixture(scope="module", params=backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("db")
    with fresh_database(request.param, directory) as url:
        yield url


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits land in a savepoint of an outer transaction that is rolled back."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session", params=backends())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """One real stack (database, Rasa, api) shared by the integration and browser tests; its
    api listens for mail and sends through a real SMTP server on loopback (``stack.mail``)."""
    var_dir = tmp_path_factory.mktemp(f"var-{request.param}")
    sink = MailSink(free_port())
    sink.start()
    with fresh_database(request.param, var_dir) as url:
        settings = prepare(var_dir, url, **mail_settings(sink))
        running = start(settings)
        running.mail = sink
        try:
            yield running
        finally:
            running.supervisor.stop()
            sink.stop()
