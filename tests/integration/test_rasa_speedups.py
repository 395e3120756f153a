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


EVENTS_SCRIPT = r"""
import asyncio, json, sys, tempfile, os
from rasa.shared.core.events import Event, UserUttered, SlotSet, ActionExecuted, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

names = sorted({c.type_name for c in all_subclasses(Event)}) + ["topic", "no_such_event"]
def resolve_all():
    out = {}
    for name in names:
        for default in (None, SlotSet):
            try:
                cls = Event.resolve_by_type(name, default)
                out[f"{name}|{default and default.__name__}"] = cls and cls.__name__
            except ValueError as e:
                out[f"{name}|{default and default.__name__}"] = "error: " + str(e)
    return out

original = resolve_all()
import bot.speedups
bot.speedups.install()
patched, again = resolve_all(), resolve_all()  # the second time from what was kept

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
folder = tempfile.mkdtemp()
store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=os.path.join(folder, "t.db"))
tracker = DialogueStateTracker.from_events("s1", [
    ActionExecuted("action_session_start"), SlotSet("language", "el"),
    UserUttered("hello", {"name": "greet", "confidence": 1.0}), BotUttered("hi"),
    ActionExecuted("action_listen")])
asyncio.run(store.save(tracker))
back = asyncio.run(store.retrieve("s1"))
with store.engine.connect() as c:
    mode = c.exec_driver_sql("PRAGMA journal_mode").scalar()
    sync = c.exec_driver_sql("PRAGMA synchronous").scalar()
same = [e.as_dict() for e in back.events] == [e.as_dict() for e in tracker.events]
print(json.dumps({"original": original, "patched": patched, "again": again, "round_trip": same,
                  "journal_mode": mode, "synchronous": sync}))
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa's environment is not set up")
def test_events_resolve_and_trackers_round_trip_as_before_on_a_wal_store() -> None:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", EVENTS_SCRIPT], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["patched"] == result["original"] == result["again"]
    # found, not found (an error), and the old "topic" (None) are all among the cases
    outcomes = list(result["original"].values())
    assert "UserUttered" in outcomes and None in outcomes
    assert any(str(v).startswith("error") for v in outcomes)
    assert result["round_trip"] is True
    assert (result["journal_mode"], result["synchronous"]) == ("wal", 1)  # 1: NORMAL
