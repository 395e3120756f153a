"""Scale-out on real engines: two api processes (as a reverse proxy sees them) on one PostgreSQL
database and one Redis, two Rasa servers sharing the tracker store and a Redis lock store.

Runs when PostgreSQL (``TIERZERO_TEST_DATABASE_URL``) answers and ``redis-server`` is installed:
the module starts a Redis of its own so it can take it away and bring it back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from handoff.models import Message, Ticket, rasa_sender_id
from tests.agent_client import AgentClient
from tests.databases import fresh_database
from tests.stack import AGENTS, PASSWORD, free_port, prepare, wait_until
from tests.widget_client import Customer, open_session
from tierzero.cli.supervisor import Child, Supervisor
from tierzero.db import driver_url, make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("TIERZERO_TEST_DATABASE_URL"), reason="scale-out needs PostgreSQL"
    ),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

#: Two questions the demo KB answers from different articles.
PASSWORD_QUESTION = "how do I reset my password?"
BILLING_QUESTION = "where can I download my invoice?"


class PrivateRedis:
    """A Redis server of the test's own (no persistence), to stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        wait_until(lambda: _answers(redis.Redis.from_url(self.url)), timeout=10)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _answers(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@dataclass
class Cluster:
    settings: Settings
    supervisor: Supervisor
    a: Child
    b: Child
    b_port: int
    redis: PrivateRedis

    def url(self, worker: str) -> str:
        port = self.settings.api_port if worker == "a" else self.b_port
        return f"http://127.0.0.1:{port}"

    def ws(self, worker: str) -> str:
        return self.url(worker).replace("http://", "ws://") + "/v1/widget/ws"

    def agent(self, who: str, worker: str) -> AgentClient:
        return AgentClient(self.url(worker), AGENTS[who][0], PASSWORD)

    def ready(self, worker: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url(worker)}/readyz", timeout=5)
        body: dict[str, Any] = response.json()
        return body

    def messages(self, conversation_id: int) -> list[Message]:
        factory = make_session_factory(make_engine(self.settings.database_url))
        with unit_of_work(factory, read_only=True) as session:
            return list(
                session.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.seq)
                )
            )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    var_dir = tmp_path_factory.mktemp("scale-out")
    redis_server = PrivateRedis(var_dir)
    redis_server.start()
    try:
        with fresh_database("postgresql", var_dir) as url:
            settings = prepare(
                var_dir, url, redis_url=redis_server.url,
                redis_namespace=f"test-{uuid.uuid4().hex[:8]}", rasa_instances=2,
                logins_per_minute=6,  # per (email, address): the shared-limit test counts to it
            )  # fmt: skip
            supervisor = Supervisor(settings)
            b_port = free_port()
            try:
                a = supervisor.start_api()
                b = supervisor.start_api(port=b_port)
                supervisor.start_rasa_servers()
                supervisor.wait_ready(timeout=300)
                wait_until(
                    lambda: (
                        httpx.get(f"http://127.0.0.1:{b_port}/readyz", timeout=5).status_code == 200
                    ),
                    timeout=240,
                    interval=1,
                )
                yield Cluster(settings, supervisor, a, b, b_port, redis_server)
            finally:
                supervisor.stop()
    finally:
        redis_server.kill()


def _handed_off(customer: Customer) -> int:
    reply = customer.ask("I want to talk to a person please")
    assert reply["payload"]["kind"] == "handoff", reply
    return int(reply["payload"]["ticket_id"])


def test_a_conversation_spans_workers_live_both_ways(cluster: Cluster) -> None:
    """Customer on worker A, agents on worker B and A: offers, viewers, messages and replies
    all cross between the workers as they happen."""
    alice, bob = cluster.agent("alice", "b"), cluster.agent("bob", "a")
    session = open_session(cluster.url("a"), language="en")
    customer = Customer(cluster.ws("a"), session["token"])
    try:
        alice.connect()
        bob.connect()
        alice.presence("online")  # bob stays offline: the offer can only go to alice
        ticket_id = _handed_off(customer)
        offer = alice.wait_for(
            lambda f: f["type"] == "offer" and f["offer"]["ticket_id"] == ticket_id
        )["offer"]
        assert alice.post(f"/v1/agent/offers/{offer['id']}/accept").status_code == 200

        alice.send({"type": "view", "ticket_id": ticket_id})
        alice.wait_for(lambda f: f["type"] == "viewing")
        bob.send({"type": "view", "ticket_id": ticket_id})
        bob.wait_for(lambda f: f["type"] == "viewing")
        both = alice.wait_for(lambda f: f["type"] == "viewers" and len(f["agents"]) == 2)
        assert {a["agent_id"] for a in both["agents"]} == {alice.id, bob.id}

        customer.send("are you there? it is urgent")
        heard = alice.wait_for(
            lambda f: f["type"] == "message" and f["text"] == "are you there? it is urgent"
        )
        last_seq = heard["seq"]
        sent = alice.post(
            f"/v1/agent/tickets/{ticket_id}/messages",
            {"text": "Yes, I'm here. Let me look.", "last_seen_seq": last_seq},
        )
        assert sent.status_code == 201, sent.text
        live = customer.wait_for(lambda f: f["type"] == "message" and f["sender"] == "agent")
        assert live["text"] == "Yes, I'm here. Let me look."
        # bob, on the customer's worker, heard the reply written on alice's worker
        bob.wait_for(
            lambda f: f["type"] == "message" and f["text"] == "Yes, I'm here. Let me look."
        )
        # each message reached the customer's socket once
        texts = [f["text"] for f in customer.frames if f["type"] == "message"]
        assert texts.count("Yes, I'm here. Let me look.") == 1
    finally:
        customer.close()
        alice.close()
        bob.close()


def test_login_limits_are_counted_once_for_all_workers(cluster: Cluster) -> None:
    email = f"nobody-{uuid.uuid4().hex[:6]}@nimbus.test"
    codes = []
    for attempt in range(8):
        worker = "a" if attempt % 2 == 0 else "b"
        response = httpx.post(
            f"{cluster.url(worker)}/v1/agent/login",
            json={"email": email, "password": "wrong"},
            timeout=10,
        )
        codes.append(response.status_code)
    # six per minute for one email from one address, whichever worker counts them
    assert codes == [401] * 6 + [429, 429]


def test_one_conversations_bot_turns_keep_their_order_across_workers(cluster: Cluster) -> None:
    token = open_session(cluster.url("a"), language="en")["token"]
    on_a, on_b = Customer(cluster.ws("a"), token), Customer(cluster.ws("b"), token)
    try:
        first = on_a.send(PASSWORD_QUESTION)
        ack = on_a.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == first)
        on_b.send(BILLING_QUESTION)  # the second question, through the other worker

        def bot_answer(frame: dict[str, Any]) -> bool:
            return (
                frame["type"] == "message"
                and frame["sender"] == "bot"
                and frame["payload"].get("kind") == "answer"
                and frame["seq"] > ack["seq"]
            )

        answers = [on_a.wait_for(bot_answer), on_a.wait_for(bot_answer)]
        urls = [a["payload"]["article"]["url"] for a in answers]
        assert "password" in urls[0] and "password" not in urls[1], urls
    finally:
        on_a.close()
        on_b.close()
    # Rasa (either server, one tracker store) heard them in the order they were sent
    settings = cluster.settings
    factory = make_session_factory(make_engine(settings.database_url))
    with unit_of_work(factory, read_only=True) as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(Message.client_msg_id == first)
        )
    assert conversation_id is not None
    tracker = httpx.get(
        f"http://127.0.0.1:{settings.rasa_port + 1}/conversations/"
        f"{rasa_sender_id(conversation_id, settings.secret_key)}/tracker",
        params={"token": settings.internal_token},
        timeout=10,
    ).json()
    heard = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert heard == [PASSWORD_QUESTION, BILLING_QUESTION]


def test_an_edit_through_one_worker_is_live_on_the_other(cluster: Cluster) -> None:
    editor_a, editor_b = cluster.agent("eve", "a"), cluster.agent("eve", "b")
    key = f"drone-{uuid.uuid4().hex[:6]}"
    try:
        created = editor_a.post(
            "/v1/kb/articles",
            {
                "key": key,
                "title": "Flying drones over a Nimbus data centre",
                "answer": "Drones may not fly over any Nimbus data centre.",
                "questions": [
                    "can I fly my drone over your data centre",
                    "is drone flying allowed near the Nimbus data center",
                    "drone rules near your buildings",
                    "may I film the data centre with a drone",
                ],
                "category": "general",
            },
        )
        assert created.status_code == 201, created.text
        article_id = created.json()["id"]
        published = editor_a.post(f"/v1/kb/articles/{article_id}/translations/en/publish")
        assert published.status_code == 200, published.text

        def live_on_b() -> bool:
            found = editor_b.post(
                "/v1/kb/try", {"text": "am I allowed to fly a drone over the data centre?"}
            ).json()
            return bool(found["hits"]) and found["hits"][0]["key"] == key

        wait_until(live_on_b, timeout=10, interval=0.3)
    finally:
        editor_a.close()
        editor_b.close()


def test_redis_away_degrades_and_loses_nothing(cluster: Cluster) -> None:
    token = open_session(cluster.url("a"), language="en")["token"]
    customer = Customer(cluster.ws("a"), token)
    try:
        customer.ask(PASSWORD_QUESTION)
        cluster.redis.kill()
        wait_until(lambda: cluster.ready("a").get("redis") == "degraded", timeout=15)
        assert cluster.ready("b").get("redis") == "degraded"
        assert httpx.get(f"{cluster.url('b')}/readyz", timeout=5).status_code == 200
        # the customer still writes and hears back (an answer, or the offer of a person when
        # Rasa's lock store is away too); nothing is refused
        during = customer.send("are my messages still stored?")
        customer.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == during)
        reply = customer.wait_for(
            lambda f: f["type"] == "message" and f["sender"] in ("bot", "system"), timeout=30
        )
        assert reply["text"]
        cluster.redis.start()
        wait_until(lambda: cluster.ready("a").get("redis") == "ok", timeout=30, interval=0.5)
        wait_until(lambda: cluster.ready("b").get("redis") == "ok", timeout=30, interval=0.5)
        # back: the socket is told to replay (it may have missed frames of other workers)
        assert customer.close_code(timeout=10) == 1013
    finally:
        customer.close()
    replay = Customer(cluster.ws("b"), token)
    try:
        frames = replay.drain(quiet=2.0)
    finally:
        replay.close()
    seqs = [f["seq"] for f in frames if f["type"] == "message"]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    texts = [f["text"] for f in frames if f["type"] == "message" and f["sender"] == "customer"]
    assert texts == [PASSWORD_QUESTION, "are my messages still stored?"]


def test_the_database_dropping_every_connection_is_survived(cluster: Cluster) -> None:
    """What a PostgreSQL restart looks like to the api: every connection cut at once."""
    engine = create_engine(driver_url(cluster.settings.database_url))
    with engine.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert cut > 0
    for worker in ("a", "b"):
        assert httpx.get(f"{cluster.url(worker)}/readyz", timeout=10).status_code == 200
    customer = Customer(cluster.ws("b"), open_session(cluster.url("b"))["token"])
    try:
        customer.ask("hello")  # Rasa may need a turn to notice its own connections are gone
        answer = customer.ask(PASSWORD_QUESTION)
        assert answer["payload"].get("kind") == "answer", answer
    finally:
        customer.close()


def test_one_worker_killed_the_other_keeps_serving(cluster: Cluster) -> None:
    token = open_session(cluster.url("b"), language="en")["token"]
    on_b = Customer(cluster.ws("b"), token)
    first = on_b.send(PASSWORD_QUESTION)
    ack = on_b.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == first)
    on_b.wait_for(lambda f: f["type"] == "message" and f["sender"] == "bot")
    os.killpg(cluster.b.process.pid, signal.SIGKILL)
    cluster.b.process.wait(timeout=10)
    cluster.supervisor.children.remove(cluster.b)
    on_b.close_code(timeout=10)  # the socket just dies (no close frame from a killed process)
    # the widget reconnects (to the worker still alive) and resends what was not acked
    on_a = Customer(cluster.ws("a"), token, since=ack["seq"])
    try:
        again = on_a.send("and my invoice?")
        on_a.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == again)
        on_a.send("and my invoice?", client_msg_id=again)  # the same message resent
        on_a.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == again)
        on_a.wait_for(lambda f: f["type"] == "message" and f["sender"] == "bot")
    finally:
        on_a.close()
    factory = make_session_factory(make_engine(cluster.settings.database_url))
    with unit_of_work(factory, read_only=True) as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(Message.client_msg_id == first)
        )
        stored = session.scalar(
            select(func.count()).select_from(Message).where(Message.client_msg_id == again)
        )
        open_tickets = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation_id)
        )
    assert stored == 1 and open_tickets == 0
    assert httpx.get(f"{cluster.url('a')}/readyz", timeout=10).status_code == 200
