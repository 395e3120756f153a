"""`tierzero customers …`: a plan set by the website's id, and the hash the website must send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from handoff.identity import user_hash
from handoff.models import Customer
from tierzero.cli.customers import app
from tierzero.db import make_engine, make_session_factory, unit_of_work


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from tierzero.settings import get_settings

    monkeypatch.setenv("TIERZERO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIERZERO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TIERZERO_IDENTITY_SECRET", "website-shared-secret")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_set_a_plan_by_the_websites_id(cli: CliRunner, tmp_path: Path) -> None:
    made = cli.invoke(app, ["set", "acct-981", "--plan", "premium", "--language", "el"])
    assert made.exit_code == 0, made.output
    changed = cli.invoke(app, ["set", "acct-981", "--plan", "trial"])
    assert changed.exit_code == 0 and "plan trial" in changed.output
    unknown = cli.invoke(app, ["set", "acct-981", "--plan", "gold"])
    assert unknown.exit_code == 1 and "unknown plan 'gold'" in unknown.output
    assert "Traceback" not in unknown.output
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    with unit_of_work(factory, read_only=True) as session:
        (customer,) = session.scalars(select(Customer)).all()
        assert (customer.external_id, customer.plan, customer.language) == (
            "acct-981",
            "trial",
            "el",
        )


def test_sign_prints_the_hash_the_website_sends(cli: CliRunner) -> None:
    signed = cli.invoke(app, ["sign", "acct-981"])
    assert signed.exit_code == 0
    assert signed.output.strip() == user_hash("website-shared-secret", "acct-981")
