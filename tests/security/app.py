"""The real app in-process on a fresh SQLite database with a few staff accounts: what the
security tests that need no Rasa start (the ones that do use the shared stack)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from api.main import create_app
from handoff import agents
from handoff.lifecycle import Role, Tier
from tests.databases import fresh_database
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings

PASSWORD = "security-tests-password"
Staff = tuple[str, Role, Tier]  # email, role, tier


@contextmanager
def security_app(
    var: Path, staff: Iterable[Staff] = (), **settings: object
) -> Iterator[tuple[FastAPI, str]]:
    """(the app, its database URL); every staff account has ``PASSWORD``."""
    with fresh_database("sqlite", var) as url:
        with unit_of_work(make_session_factory(make_engine(url))) as session:
            for email, role, tier in staff:
                agents.create_agent(session, email=email, name=email.split("@")[0],
                                    password=PASSWORD, role=role, tier=tier)  # fmt: skip
        yield create_app(Settings(
            environment="test", database_url=url, var_dir=var, kb_dense="off",
            secret_key="security-tests-secret-key-long-enough",
            internal_token="security-tests-internal-token",
            **settings,  # type: ignore[arg-type]
        )), url  # fmt: skip
