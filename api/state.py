"""What the running api holds: settings, database, live KB index, WebSocket hub, Rasa client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.hub import ConversationHub
from api.ratelimit import KeyedLimiter
from tierzero.settings import Settings

if TYPE_CHECKING:
    from api.rasa import RasaClient


@dataclass
class Limits:
    messages: KeyedLimiter
    sessions: KeyedLimiter
    logins: KeyedLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            messages=KeyedLimiter(settings.messages_per_minute),
            sessions=KeyedLimiter(settings.sessions_per_minute),
            logins=KeyedLimiter(settings.logins_per_minute),
        )


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    hub: ConversationHub
    rasa: RasaClient
    limits: Limits
    kb: Any = None  # kb.index.KbIndex once loaded
    kb_loaded: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
