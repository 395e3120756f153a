"""Helpers shared by the actions: which conversation, which language, yes/no buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.runtime import conversation_id
from handoff.texts import say


def conversation_of(tracker: Tracker) -> int | None:
    return conversation_id(tracker.sender_id)


def language_of(tracker: Tracker) -> str:
    """The customer's language: sent by the api with every message (``metadata``), so no
    separate call sets it; the slot for turns that carry none (older trackers, Rasa's own)."""
    metadata = tracker.latest_message.get("metadata") or {}
    for value in (metadata.get("language"), tracker.get_slot("language")):
        if isinstance(value, str) and value:
            return value
    return "en"


def intent_of(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def yes_no_buttons(language: str) -> list[dict[str, Any]]:
    return [
        {"title": say("yes", language), "payload": "/affirm"},
        {"title": say("no", language), "payload": "/deny"},
    ]
