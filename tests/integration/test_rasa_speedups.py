"""bot/speedups.py changes how fast Rasa checks an action server's response, never what it
accepts: run in Rasa's own environment, the patched check and Rasa's original agree on good
and bad responses, with the same error message."""

from __future__ import annotations

import json
import subprocess
from typing import Any

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


TRACKER_SCRIPT = r"""
import asyncio, json, sqlite3, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

db = sys.argv[1]
domain = Domain.load("domain.yml")
rasa_retrieve, rasa_save = SQLTrackerStore._retrieve, SQLTrackerStore.save
import bot.speedups
bot.speedups.install()
a, b = SQLTrackerStore(domain, db=db), SQLTrackerStore(domain, db=db)

async def turn(store, sender, text, save=None):
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text, {"name": "ask_question", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_answer_from_kb"))
    tracker.update(BotUttered(f"answer to {text}"))
    tracker.update(SlotSet("pending", "feedback"))
    tracker.update(ActionExecuted("action_listen"))
    await (save or store.save)(tracker)
    return tracker

def events(tracker):
    return [e.as_dict() for e in tracker.events]

async def main():
    out = {}
    async def read(store, sender):
        return await rasa_retrieve(store, sender, False)
    first = await turn(a, "s1", "one")
    second = await turn(a, "s1", "two")
    again = await a.retrieve("s1")
    out["kept_after_own_save"] = again is second
    out["kept_equals_database"] = events(again) == events(await read(a, "s1"))
    await a.save(again)  # nothing new: saved as before
    await turn(b, "s1", "three from another server")
    after_other = await a.retrieve("s1")
    out["reread_after_other_writer"] = after_other is not second
    out["reread_equals_database"] = events(after_other) == events(await read(a, "s1"))
    await a.save(after_other)
    mutated = await a.retrieve("s1")
    mutated.update(UserUttered("a turn that failed before saving"))
    fresh = await a.retrieve("s1")
    out["unsaved_change_not_reused"] = fresh is not mutated
    out["after_failure_equals_database"] = events(fresh) == events(await read(a, "s1"))
    out["handed_out_once"] = (await a.retrieve("s1")) is not fresh
    # the rows written equal Rasa's own save, turn for turn (timestamps aside)
    for text in ("one", "two", "three"):
        await turn(a, "rasa", text, save=lambda t: rasa_save(a, t))
        await turn(a, "patched", text)
    rows = {}
    with sqlite3.connect(db) as con:
        for sender in ("rasa", "patched"):
            found = con.execute(
                "select type_name, intent_name, action_name, data from events "
                "where sender_id = ? order by id", (sender,)).fetchall()
            rows[sender] = [
                (t, i, n, {k: v for k, v in json.loads(d).items() if k != "timestamp"})
                for t, i, n, d in found]
    out["rows_as_rasa_writes_them"] = rows["rasa"] == rows["patched"] and len(rows["rasa"]) > 10
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa's environment is not set up")
def test_a_kept_tracker_is_reused_only_when_the_database_holds_exactly_it(tmp_path: Any) -> None:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", TRACKER_SCRIPT, str(tmp_path / "tracker.db")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == dict.fromkeys(result, True) and len(result) == 8, result
