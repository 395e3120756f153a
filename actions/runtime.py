"""What the actions need from the running api: a session factory, the live KB index and the hub.

The api configures it once at start; actions read it per call, so there is no second copy of
the KB index and no extra process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from handoff.models import RASA_SENDER_PREFIX
from handoff.policy import Policy
from tierzero.hub import Hub, NullHub


@dataclass(frozen=True)
class Runtime:
    session_factory: sessionmaker[Session]
    kb: Any  # kb.search.index.KbIndex
    hub: Hub = field(default_factory=NullHub)
    policy: Policy | None = None
    #: The learned "does this ask for a person?" model, once loaded (``handoff.person_model``):
    #: a second opinion the KB action asks before answering; the rules work without it.
    second_opinion: Callable[[str], bool] | None = None


_runtime: Runtime | None = None


def configure(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current() -> Runtime | None:
    return _runtime


def get_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("actions runtime is not configured; the api sets it on start")
    return _runtime


def conversation_id(sender_id: str | None) -> int | None:
    """Sender ids are derived by the api from the stored conversation; anything else is foreign."""
    if not sender_id or not sender_id.startswith(RASA_SENDER_PREFIX):
        return None
    number, _, tag = sender_id.removeprefix(RASA_SENDER_PREFIX).partition("-")
    return int(number) if number.isdigit() and len(tag) == 20 and tag.isalnum() else None
