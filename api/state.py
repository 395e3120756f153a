"""What the running api holds: settings, database, live KB index, hub, bot, flow and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rasa_sdk.executor import ActionExecutor
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.ratelimit import KeyedLimiter, storage_for
from handoff.bot import RasaClient
from handoff.flows import ConversationFlow
from handoff.offers import Timing
from handoff.policy import Policy
from tierzero.hub import InMemoryHub
from tierzero.presence import Connected, Viewers
from tierzero.settings import Settings

if TYPE_CHECKING:
    from api.mail import MailService
    from api.metrics import Metrics
    from kb.search import KbIndex
    from tierzero.cluster import Cluster


@dataclass
class Limits:
    messages: KeyedLimiter
    sessions: KeyedLimiter
    logins: KeyedLimiter  # per (email, address)
    login_addresses: KeyedLimiter  # per address
    agent_actions: KeyedLimiter
    typing: KeyedLimiter
    feedback: KeyedLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        storage = storage_for(settings.redis_url, settings.redis_namespace)
        return cls(
            messages=KeyedLimiter("messages", settings.messages_per_minute, storage),
            sessions=KeyedLimiter("sessions", settings.sessions_per_minute, storage),
            logins=KeyedLimiter("logins", settings.logins_per_minute, storage),
            login_addresses=KeyedLimiter(
                "login-addresses", settings.logins_per_address_per_minute, storage
            ),
            agent_actions=KeyedLimiter("agent-actions", settings.agent_actions_per_minute, storage),
            # typing indicators are cheap but fan out to every agent viewing the ticket
            typing=KeyedLimiter("typing", 4 * settings.messages_per_minute, storage),
            feedback=KeyedLimiter("feedback", settings.help_votes_per_minute, storage),
        )


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    hub: InMemoryHub
    rasa: RasaClient
    flow: ConversationFlow
    executor: ActionExecutor
    limits: Limits
    timing: Timing
    policy: Policy
    viewers: Viewers = field(default_factory=Viewers)
    connected: Connected = field(default_factory=Connected)
    #: Open customer sockets per conversation (the last closing may mean they left the queue).
    customers: Connected = field(default_factory=Connected)
    kb: KbIndex | None = None
    kb_loaded: bool = False
    #: Prometheus metrics (set by create_app, which needs the state to build them).
    metrics: Metrics = field(init=False)
    #: The email channel (listener, mailbox poll, outbox), set by create_app.
    mail: MailService = field(init=False)
    #: This worker's part in a scale-out deployment (``TIERZERO_REDIS_URL``), else None.
    cluster: Cluster | None = None
