"""Runtime settings from ``TIERZERO_*`` environment variables, with safe local defaults.

Secrets that are not given are generated once and kept under ``var/`` (never in git), so a
fresh checkout runs without configuration and a production deployment sets its own.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


MIN_SECRET_CHARS = 32


def _persisted_secret(var_dir: Path, name: str) -> str:
    """A random secret stored under var/ (created 0600, never rewritten) so restarts keep
    tokens valid; a truncated or empty file is replaced rather than trusted."""
    path = var_dir / "secrets" / name
    if path.exists():
        value = path.read_text().strip()
        if len(value) >= MIN_SECRET_CHARS:
            return value
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERZERO_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_url: str = ""

    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_python: str = str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python")
    #: A bot turn slower than this counts as "the assistant is unavailable": the customer is
    #: offered a person (turns take well under a second; the first after a start a little more).
    rasa_timeout_seconds: float = 6.0
    rasa_model_dir_override: Path | None = Field(default=None, alias="TIERZERO_RASA_MODEL_DIR")
    #: Rasa's conversation trackers (SQL). Unset: var/rasa_tracker.db with SQLite, and the
    #: api's own PostgreSQL database (Rasa's ``events`` table beside TierZero's) with PostgreSQL.
    rasa_tracker_url: str = ""
    #: Rasa servers to start and to share the bot turns (ports ``rasa_port`` upwards). More
    #: than one needs PostgreSQL and Redis: they share the tracker store and a Redis lock store.
    rasa_instances: int = Field(default=1, ge=1, le=8)

    #: Scale-out: ``redis://host:port/db``. Live frames cross api workers by Redis pub/sub, rate
    #: limits and who-is-connected are shared, one conversation's bot turns take a Redis lock.
    redis_url: str = ""
    #: Prefix of every Redis key and channel (several deployments can share one Redis).
    redis_namespace: str = Field(default="tierzero", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    #: api worker processes; more than one needs PostgreSQL and Redis.
    workers: int = Field(default=1, ge=1, le=64)

    secret_key: str = ""
    internal_token: str = ""
    #: Shared with the company's website, which signs a logged-in customer's id with it
    #: (HMAC-SHA256, the widget's ``data-user-hash``). Unset: every visitor is anonymous.
    identity_secret: str = ""

    agent_token_ttl_seconds: int = 8 * 3600
    customer_token_ttl_seconds: int = 30 * 24 * 3600

    #: Bearer token a Prometheus scraper sends to GET /metrics; unset: loopback scrapers only.
    metrics_token: str | None = None
    #: Sites that embed the widget (its HTTP calls and its socket); "*": any.
    cors_origins: list[str] = ["*"]
    #: Origins besides the api's own whose pages may open the agent socket (a console served
    #: elsewhere); by default only the api's own /console.
    console_origins: list[str] = []

    #: A connection must send its request line and headers within this (api/slowclients.py).
    request_head_seconds: float = Field(default=10.0, gt=0)
    max_message_chars: int = 4000
    max_frame_bytes: int = 64 * 1024
    #: Any HTTP request body (the KB import's file has its own 10 MB ceiling).
    max_body_bytes: int = 1024 * 1024
    messages_per_minute: int = 30  # per conversation, across all of its sockets
    sessions_per_minute: int = 20  # new chat sessions per client IP
    #: Login attempts per minute for one email from one address (a guesser is slowed down;
    #: the colleague whose email they guess still logs in from their own address) …
    logins_per_minute: int = 10
    #: … and from one address whatever the email (one address cannot try many accounts).
    logins_per_address_per_minute: int = 30
    agent_actions_per_minute: int = 600  # agent API writes per agent

    #: Routing: how long an agent has to accept an offered ticket before it moves on.
    offer_timeout_seconds: float = Field(default=30.0, gt=0)
    #: An agent offline this long has their open chats put back in the queue.
    offline_requeue_seconds: float = Field(default=120.0, ge=0)
    #: How often the api routes the queue (expired offers, re-queues, new offers).
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)

    kb_dense: Literal["on", "off"] = "on"
    #: English MiniLM vectors next to the multilingual e5 ones (English text only).
    kb_dense_en: Literal["on", "off"] = "on"
    #: Least share of customer messages assumed to be outside the KB when the bot's abstention
    #: threshold is tuned: higher offers a person more often instead of a doubtful answer.
    #: Unset: the engine's default (``kb.search.index.EngineConfig``).
    kb_out_of_scope_share: float | None = Field(default=None, ge=0.0, lt=1.0)
    kb_demo_path: Path = PROJECT_ROOT / "kb" / "demo" / "articles.yaml"
    #: Plans, response targets, handling limits and business hours (validated at start).
    policy_path: Path = PROJECT_ROOT / "config" / "policy.yaml"
    kb_cache_dir_override: Path | None = Field(default=None, alias="TIERZERO_KB_CACHE_DIR")
    #: The company's name on the help centre's pages and the widget's header.
    brand_name: str = "Nimbus Net"
    help_votes_per_minute: int = 30  # "was this helpful?" votes per client IP
    #: Tests and demos only: a file holding seconds to add to the clock (see tierzero.clock).
    clock_file: Path | None = None
    #: How long `tierzero run` waits for the api to be ready (a first start builds the KB index).
    start_timeout_seconds: float = Field(default=900.0, gt=0)
    #: How often the api's scheduler looks for due jobs (SLA warnings, handling limits, exits).
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)

    #: The editors' queue of unanswered questions (customer text): reviewed questions are
    #: deleted this many days after they were asked, open ones after twice as long.
    unanswered_retention_days: int = Field(default=180, ge=1)
    #: Where topic spikes are posted (``insight.content.spikes``); unset: not posted.
    spike_webhook_url: str = ""
    #: Signs each spike post (HMAC-SHA256 of the body, header ``X-TierZero-Signature``).
    spike_webhook_secret: str = ""
    #: How often the api looks for topic spikes (and posts new ones to the webhook).
    spike_check_seconds: float = Field(default=300.0, gt=0)

    # --- email (package mail/; off until an address to listen on or a mailbox is set) ---------
    #: The desk's own SMTP listener for inbound mail, ``host:port`` (e.g. ``127.0.0.1:2525``,
    #: behind the company's MX or a relay); unset: not started.
    smtp_listen: str = ""
    #: An IMAP mailbox to poll instead (``imaps://user:password@host:993/INBOX``); unset: none.
    imap_url: str = ""
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    #: Where replies go out: ``smtp://host:port``, ``smtps://user:password@host:465`` or
    #: ``smtp+starttls://user:password@host:587``; unset: replies stay in the outbox (visible
    #: to agents) until it is set.
    smtp_url: str = ""
    #: The desk's address: what customers write to and what replies come from. Mail to other
    #: recipients is refused by the listener.
    mail_address: str = "support@localhost"
    #: Further addresses the listener accepts (e.g. ``help@…``); the desk never writes to them.
    mail_aliases: list[str] = []
    #: Largest message the listener accepts (SMTP 552 above it; the sender's server tells them).
    mail_max_bytes: int = Field(default=30 * 1024 * 1024, ge=64 * 1024)
    #: Largest attachment kept; a bigger one is named to the agent and the customer, not stored.
    mail_attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Messages one sender may send in an hour; more are kept aside (no ticket, no reply).
    mails_per_sender_per_hour: int = Field(default=20, ge=1)
    #: Outbox: the first retry after this many seconds, doubling up to an hour, at most
    #: ``mail_max_attempts`` tries before the message is marked failed for the agent.
    mail_retry_seconds: float = Field(default=60.0, gt=0)
    mail_max_attempts: int = Field(default=8, ge=1)
    #: How often the api looks at the outbox.
    mail_send_interval_seconds: float = Field(default=2.0, gt=0)

    @field_validator("var_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.resolve()

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'tierzero.db'}"
        if self.environment == "production" and (
            len(self.secret_key) < MIN_SECRET_CHARS or len(self.internal_token) < MIN_SECRET_CHARS
        ):
            raise ValueError(
                "TIERZERO_SECRET_KEY and TIERZERO_INTERNAL_TOKEN must be set in production "
                f"(at least {MIN_SECRET_CHARS} characters each)"
            )
        if (self.workers > 1 or self.rasa_instances > 1) and (
            self.database_url.startswith("sqlite") or not self.redis_url
        ):
            raise ValueError(
                "several api workers or Rasa servers need PostgreSQL and Redis: set "
                "TIERZERO_DATABASE_URL=postgresql://… and TIERZERO_REDIS_URL=redis://…"
            )
        if not self.rasa_tracker_url:
            self.rasa_tracker_url = (
                f"sqlite:///{self.var_dir / 'rasa_tracker.db'}"
                if self.database_url.startswith("sqlite")
                else self.database_url
            )
        if not self.secret_key:
            self.secret_key = _persisted_secret(self.var_dir, "secret_key")
        if not self.internal_token:
            self.internal_token = _persisted_secret(self.var_dir, "internal_token")
        if not self.public_url:
            self.public_url = f"http://{self.api_host}:{self.api_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def rasa_model_dir(self) -> Path:
        return self.rasa_model_dir_override or self.var_dir / "models"

    @property
    def kb_cache_dir(self) -> Path:
        """Embeddings cached by text hash: restarts and re-imports do not recompute them."""
        return self.kb_cache_dir_override or self.var_dir / "cache" / "kb"

    def as_env(self) -> dict[str, str]:
        """The same settings for a child process (the api under the supervisor)."""
        env = {
            f"TIERZERO_{name.upper()}": json.dumps(value) if isinstance(value, list) else str(value)
            for name, value in self.model_dump(
                exclude={"rasa_model_dir_override", "kb_cache_dir_override"}
            ).items()
            if value is not None
        }
        if self.rasa_model_dir_override is not None:
            env["TIERZERO_RASA_MODEL_DIR"] = str(self.rasa_model_dir_override)
        if self.kb_cache_dir_override is not None:
            env["TIERZERO_KB_CACHE_DIR"] = str(self.kb_cache_dir_override)
        return env

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa server the api may send a turn to."""
        return [f"http://{self.rasa_host}:{self.rasa_port + i}" for i in range(self.rasa_instances)]


@lru_cache
def get_settings() -> Settings:
    return Settings()
