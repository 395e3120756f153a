"""Helpers shared by the actions: which conversation, which language, yes/no buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.runtime import conversation_id
from handoff.texts import say


def conversation_of(tracker: Tracker) -> int | None:
    return conversation_id(tracker.sender_id)


def language_of(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if isinstance(value, str) and value else "en"


def intent_of(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def yes_no_buttons(language: str) -> list[dict[str, Any]]:
    return [
        {"title": say("yes", language), "payload": "/affirm"},
        {"title": say("no", language), "payload": "/deny"},
    ]
