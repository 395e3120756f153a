"""`tierzero agents …` against a SQLite file of its own; errors are one line, no traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierzero.cli.agents import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from tierzero.settings import get_settings

    monkeypatch.setenv("TIERZERO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIERZERO_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_add_list_change_and_deactivate(cli: CliRunner) -> None:
    added = cli.invoke(
        app,
        ["add", "maria@example.test", "--tier", "L2", "--languages", "el,en",
         "--skills", "Billing, internet", "--password", "long enough pw"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "created agent maria@example.test (L2)" in added.output
    changed = cli.invoke(app, ["set", "maria@example.test", "--tier", "L3", "--chat-capacity", "7"])
    assert changed.exit_code == 0, changed.output
    (maria,) = json.loads(cli.invoke(app, ["list", "--json"]).output)
    assert (maria["tier"], maria["languages"], maria["skills"], maria["chat_capacity"]) == (
        "L3", ["el", "en"], ["billing", "internet"], 7,
    )  # fmt: skip
    assert cli.invoke(app, ["list"]).exit_code == 0  # the table for people
    gone = cli.invoke(app, ["deactivate", "maria@example.test"])
    assert gone.exit_code == 0 and "deactivated" in gone.output
    assert json.loads(cli.invoke(app, ["list", "--json"]).output)[0]["active"] is False


@pytest.mark.parametrize(
    "args,message",
    [
        (["add", "x@example.test", "--role", "boss", "--password", "long enough"], "role must"),
        (["add", "x@example.test", "--tier", "L9", "--password", "long enough"], "tier must"),
        (["add", "x@example.test", "--languages", "de", "--password", "long enough"],
         "unsupported language"),
        (["set", "nobody@example.test", "--tier", "L2"], "no agent with email"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
