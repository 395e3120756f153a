"""A real TierZero stack for integration and browser tests: migrated database with the demo KB
and test agents, the trained Rasa model served by the real Rasa server, the real api."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from handoff import agents
from handoff.business_hours import is_open
from handoff.lifecycle import Role, Tier
from handoff.models import rasa_sender_id
from handoff.policy import load as load_policy
from kb import service as kb_service
from tierzero import clock
from tierzero.cli import rasa_files
from tierzero.cli.supervisor import Child, Supervisor
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from tests.mail_sink import MailSink

PASSWORD = "integration-test-password"
#: What the test "website" signs its customers' ids with.
IDENTITY_SECRET = "integration-test-identity-secret"
AGENTS = {
    "alice": ("alice@nimbus.test", "agent", "L1"),
    "bob": ("bob@nimbus.test", "agent", "L1"),
    "carol": ("carol@nimbus.test", "agent", "L2"),
    "dave": ("dave@nimbus.test", "admin", "L2"),
    "eve": ("eve-editor@nimbus.test", "editor", "L1"),
    "lena": ("lena-lead@nimbus.test", "lead", "L2"),
    "theo": ("theo-l3@nimbus.test", "agent", "L3"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    settings: Settings
    supervisor: Supervisor
    api: Child
    rasa: Child
    #: The outgoing mail server the api sends through (the shared stack has one).
    mail: MailSink | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.api_port}/v1/widget/ws"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    def set_clock(self, moment: datetime | None) -> None:
        """Move the api's clock to ``moment`` (it runs on from there); None: the real time.
        The clock is the one thing tests mock (see tierzero.clock)."""
        assert self.settings.clock_file is not None
        offset = moment - datetime.now(UTC) if moment is not None else timedelta(0)
        clock.write_offset(self.settings.clock_file, offset)
        time.sleep(0.2)  # the api re-reads the file within 50 ms

    def login(self, who: str) -> dict[str, str]:
        email, _, _ = AGENTS[who]
        with self.client() as client:
            response = client.post("/v1/agent/login", json={"email": email, "password": PASSWORD})
            response.raise_for_status()
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def rasa_user_turns(self, conversation_id: int) -> int:
        """How many customer messages Rasa itself has seen in this conversation."""
        response = httpx.get(
            f"http://127.0.0.1:{self.settings.rasa_port}/conversations/"
            f"{rasa_sender_id(conversation_id, self.settings.secret_key)}/tracker",
            params={"token": self.settings.internal_token, "include_events": "ALL"},
            timeout=10,
        )
        response.raise_for_status()
        return sum(1 for event in response.json()["events"] if event["event"] == "user")

    def restart_rasa(self) -> None:
        """Stop the Rasa server and start a new one on the same port and tracker store."""
        self.rasa.process.terminate()
        self.rasa.process.wait(timeout=30)
        self.supervisor.children.remove(self.rasa)
        self.rasa = self.supervisor.start_rasa()
        self.supervisor.wait_ready(timeout=240)

    def restart_api(self, while_down: Any = None) -> None:
        """Stop the api, run ``while_down()``, start a new api on the same port and database."""
        self.api.process.terminate()
        self.api.process.wait(timeout=60)
        self.supervisor.children.remove(self.api)
        if while_down is not None:
            while_down()
        self.api = self.supervisor.start_api()
        self.supervisor.wait_ready(timeout=240)

    def session_factory(self) -> Any:
        return make_session_factory(make_engine(self.settings.database_url))


#: The desk's address in tests.
DESK_ADDRESS = "support@nimbus.test"


def mail_settings(sink: MailSink) -> dict[str, Any]:
    """The api listens for mail on a free port and sends through ``sink``; retries are quick."""
    return dict(
        smtp_listen=f"127.0.0.1:{free_port()}", smtp_url=sink.url, mail_address=DESK_ADDRESS,
        mail_retry_seconds=1.0, mail_send_interval_seconds=0.3,
    )  # fmt: skip


def prepare(var_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for a test stack on ``database_url`` (``overrides``: any other settings), the
    trained model, the demo KB and the test agents."""
    fields: dict[str, Any] = dict(
        environment="test",
        var_dir=var_dir,
        database_url=database_url,
        api_port=free_port(),
        rasa_port=free_port(),
        rasa_model_dir_override=PROJECT_ROOT / "var" / "models",
        kb_cache_dir_override=PROJECT_ROOT / "var" / "cache" / "kb",
        # every test customer and agent comes from 127.0.0.1: per-IP limits would throttle the
        # suite itself (the limits have their own tests)
        sessions_per_minute=100_000,
        logins_per_minute=100_000,
        logins_per_address_per_minute=100_000,
        clock_file=var_dir / "clock-offset",
        identity_secret=IDENTITY_SECRET,
    )
    settings = Settings(**{**fields, **overrides})
    rasa_files.train(settings)  # no-op when `make test` has trained it already
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        if kb_service.count_articles(session) == 0:
            kb_service.import_file(session, settings.kb_demo_path, author="tests")
        for email, role, tier in AGENTS.values():
            if agents.get_agent_by_email(session, email) is None:
                agents.create_agent(
                    session, email=email, name=email.split("@")[0], password=PASSWORD,
                    role=Role(role), tier=Tier(tier), languages=("en", "el", "ru", "sr"),
                )  # fmt: skip
    return settings


def start(settings: Settings) -> Stack:
    supervisor = Supervisor(settings)
    api = supervisor.start_api()
    rasa = supervisor.start_rasa()
    try:
        supervisor.wait_ready(timeout=300)
    except Exception:
        supervisor.stop()
        raise
    return Stack(settings, supervisor, api, rasa)


def a_past_wednesday(hour: int, minute: int = 0) -> datetime:
    """A Wednesday at least a week back, at a wall-clock time of the demo team (a working day):
    tests move the api's clock *back* there, so other tests' open tickets keep their deadlines
    in the api's future and nothing of theirs fires meanwhile."""
    team = load_policy(PROJECT_ROOT / "config" / "policy.yaml").team
    day = datetime.now(team.zone).date() - timedelta(days=7)
    while day.weekday() != 2 or not is_open(team, datetime.combine(day, dt_time(12), team.zone)):
        day -= timedelta(days=1)
    return datetime.combine(day, dt_time(hour, minute), team.zone)


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
