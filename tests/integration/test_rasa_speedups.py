"""bot/speedups.py changes how fast Rasa checks an action server's response, never what it
accepts: run in Rasa's own environment, the patched check and Rasa's original agree on good
and bad responses, with the same error message."""

from __future__ import annotations

import json
import subprocess

import pytest

from tierzero.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = r"""
import json, sys
from rasa.core.actions.action import RemoteAction
from jsonschema import ValidationError

cases = json.loads(sys.argv[1])
def outcomes():
    action = RemoteAction.__new__(RemoteAction)
    out = []
    for case in cases:
        try:
            out.append(["ok", action._validate_action_result(case)])
        except ValidationError as e:
            out.append(["refused", e.message])
    return out

original = outcomes()
import bot.speedups
bot.speedups.install()
print(json.dumps({"original": original, "patched": outcomes()}))
"""

CASES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pending", "value": None}],
     "responses": [{"text": "hi", "custom": {"kind": "answer"}}]},
    {"events": "not a list", "responses": []},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": [], "responses": [{"text": 5}]},
    [],
]  # fmt: skip


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa's environment is not set up")
def test_the_patched_check_accepts_and_refuses_exactly_as_rasa_does() -> None:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(CASES)], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["patched"] == result["original"]
    kinds = [outcome[0] for outcome in result["original"]]
    assert "ok" in kinds and "refused" in kinds  # the cases test both ways
