"""The real app for unit tests of routes: its units of work on the test's own transaction
(their commits are savepoints, rolled back with the test); no background tasks are started."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api import tokens
from api.main import create_app
from handoff.models import Agent
from tierzero.settings import Settings


def app_for_tests(database_url: str, var_dir: Path, name: str) -> FastAPI:
    settings = Settings(
        environment="test", database_url=database_url, var_dir=var_dir, kb_dense="off",
        secret_key=f"{name}-test-secret-key-long-enough", internal_token=f"{name}-test-token",
    )  # fmt: skip
    return create_app(settings)


@contextmanager
def client_on(app: FastAPI, session: Session) -> Iterator[TestClient]:
    state = app.state.tierzero
    real = state.session_factory
    state.session_factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )  # fmt: skip
    try:
        yield TestClient(app)
    finally:
        state.session_factory = real


def auth(app: FastAPI, agent: Agent) -> dict[str, str]:
    token = tokens.issue(app.state.tierzero.settings.secret_key, kind="agent", subject=agent.id,
                         ttl_seconds=600)  # fmt: skip
    return {"Authorization": f"Bearer {token}"}
