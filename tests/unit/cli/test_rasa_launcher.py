"""The Rasa launcher hands the API token to Rasa's argument parser intact."""

from __future__ import annotations

import argparse
import sys

import pytest

from tierzero.cli.rasa_files import LAUNCHER

# what runs inside Rasa's own environment (the speed-ups need its jsonschema and rasa)
RUN_RASA = "import bot.speedups; bot.speedups.install(); from rasa.__main__ import main; main()"


@pytest.mark.parametrize("token", ["plainToken123", "-starts-with-a-dash", "--looks-like-a-flag"])
def test_token_reaches_the_parser_whatever_it_starts_with(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    assert LAUNCHER.endswith(RUN_RASA)
    monkeypatch.setattr(sys, "argv", ["-c", "run", "--port", "5005"])
    monkeypatch.setenv("TIERZERO_RASA_TOKEN", token)
    exec(LAUNCHER.removesuffix(RUN_RASA), {})  # everything but starting Rasa
    parser = argparse.ArgumentParser()  # rasa run declares "-t/--auth-token" like this
    parser.add_argument("command")
    parser.add_argument("--port")
    parser.add_argument("-t", "--auth-token")
    assert parser.parse_args(sys.argv[1:]).auth_token == token
