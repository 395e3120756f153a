"""Faults (issue "proofs"): the api or Rasa killed with SIGKILL while customers chat and a handoff
is under way, then restarted; SQLite under 20 concurrent writers. Every invariant is read back
from the database: each customer message stored exactly once (by client_msg_id) and in the order
sent, at most one open ticket per conversation, no bot reply after the handoff message, and the
widget holds exactly what the database holds once it has reconnected.

These tests kill processes, so they run on a private stack (SQLite), never the session's shared
one; the stack is started once for the module and only the killed child is started again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker, undefer
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from handoff.lifecycle import OPEN_STATUSES
from handoff.models import Message, Ticket
from tests.agent_client import AgentClient
from tests.databases import fresh_database
from tests.stack import AGENTS, PASSWORD, Stack, prepare, start
from tests.widget_client import Customer, open_session
from tierzero.db import unit_of_work

pytestmark = pytest.mark.integration

#: How long a customer, an agent or the test waits for anything (bounded loops everywhere).
PATIENCE = 120.0
ASK_FOR_PERSON = "I want to talk to a person"
QUESTIONS = (
    "how do I reset my password",
    "what payment methods do you accept?",
    "how can I download my invoice?",
    "can I change my plan?",
    "how do I cancel my subscription?",
    "is there a mobile app?",
)


# --- the private stack ------------------------------------------------------------------------


@dataclass
class Faults:
    stack: Stack
    factory: sessionmaker[Session]

    def kill(self, name: str) -> None:
        """SIGKILL the child's whole process group (it was started in a session of its own)."""
        child = self.stack.api if name == "api" else self.stack.rasa
        os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait(timeout=30)
        self.stack.supervisor.children.remove(child)

    def restart(self, name: str) -> None:
        """Start the killed child again on the same port, database and tracker store."""
        supervisor = self.stack.supervisor
        if name == "api":
            self.stack.api = supervisor.start_api()
        else:
            self.stack.rasa = supervisor.start_rasa()
        supervisor.wait_ready(timeout=240)

    def api_log(self) -> str:
        return self.stack.api.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    var_dir = tmp_path_factory.mktemp("var-faults")
    with fresh_database("sqlite", var_dir) as url:
        running = start(prepare(var_dir, url))
        try:
            yield Faults(running, running.session_factory())
        finally:
            running.supervisor.stop()


# --- a customer who behaves like web/widget/chat.js -------------------------------------------


class Widget:
    """The widget's side of the protocol: every message is kept until acked and resent with the
    same client_msg_id after a reconnect; a reconnect asks for what came after the last seq it
    holds with nothing missing before it (``?since=``)."""

    def __init__(self, stack: Stack, language: str = "en") -> None:
        session = open_session(stack.base_url, language=language)
        self.ws_url = stack.ws_url
        self.token = str(session["token"])
        self.conversation_id = int(session["conversation_id"])
        self.sent: list[str] = []  # every client_msg_id, in the order the customer wrote them
        self.texts: dict[str, str] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        self.acks: dict[str, int] = {}
        #: seqs of the widget's own messages as echoed back (a kill between the echo and the
        #: ack leaves only the echo, which settles the message for the widget too)
        self.echoed: dict[str, int] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.connects = 0
        self.dropped_at = 0.0
        self.socket: ClientConnection | None = None

    @property
    def last_seq(self) -> int:
        seq = 0
        while seq + 1 in self.messages:
            seq += 1
        return seq

    def _connect(self) -> None:
        time.sleep(max(0.0, self.dropped_at + 0.25 - time.monotonic()))  # as the widget backs off
        try:
            socket = connect(
                f"{self.ws_url}?since={self.last_seq}", open_timeout=3, close_timeout=1
            )
        except (OSError, TimeoutError, WebSocketException):
            time.sleep(0.2)  # the api is down or starting: try again shortly
            return
        self.socket = socket
        self.connects += 1
        try:
            socket.send(json.dumps({"type": "auth", "token": self.token}))
            for frame in list(self.pending.values()):
                socket.send(json.dumps(frame))
        except (OSError, WebSocketException):
            self._drop()

    def _drop(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(OSError, WebSocketException):
                self.socket.close()
        self.socket = None
        self.dropped_at = time.monotonic()

    def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            self.messages[int(frame["seq"])] = frame
            if frame.get("client_msg_id"):
                self.pending.pop(frame["client_msg_id"], None)
                self.echoed[frame["client_msg_id"]] = int(frame["seq"])
        elif kind == "ack":
            self.acks[frame["client_msg_id"]] = int(frame["seq"])
            self.pending.pop(frame["client_msg_id"], None)
        elif kind == "error":
            self.errors.append(frame)

    def send(self, text: str, payload: str | None = None) -> str:
        msg_id = uuid.uuid4().hex
        frame: dict[str, Any] = {"type": "message", "client_msg_id": msg_id, "text": text}
        if payload:
            frame["payload"] = payload
        self.sent.append(msg_id)
        self.texts[msg_id] = text
        self.pending[msg_id] = frame
        if self.socket is not None:
            try:
                self.socket.send(json.dumps(frame))
            except (OSError, WebSocketException):
                self._drop()
        return msg_id

    def pump(self, until: Callable[[], bool], timeout: float = PATIENCE) -> bool:
        """Receive (reconnecting whenever the socket is gone) until ``until()`` or the timeout."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() >= deadline:
                return False
            if self.socket is None:
                self._connect()
                continue
            try:
                raw = self.socket.recv(timeout=0.1)
            except TimeoutError:
                continue
            except (OSError, WebSocketException):
                self._drop()
                continue
            self._handle(json.loads(raw))
        return True

    def replies_after(self, seq: int) -> list[dict[str, Any]]:
        return [
            m
            for s, m in sorted(self.messages.items())
            if s > seq and m["sender"] in ("bot", "system")
        ]

    def ask(self, text: str, payload: str | None = None) -> dict[str, Any]:
        """Send, and return the first bot or system reply after the message."""
        msg_id = self.send(text, payload)
        got = self.pump(lambda: msg_id in self.acks and bool(self.replies_after(self.acks[msg_id])))
        assert got, f"no reply to {text!r} in conversation {self.conversation_id}: {self.errors}"
        return self.replies_after(self.acks[msg_id])[0]

    def chat(self, texts: Sequence[str], pause: float = 0.4) -> None:
        """Write like a person: one message after another, not waiting for the bot."""
        for text in texts:
            msg_id = self.send(text)
            self.pump(self._acked(msg_id), timeout=pause)

    def _acked(self, msg_id: str) -> Callable[[], bool]:
        return lambda: msg_id in self.acks

    def settle(self, faults: Faults) -> None:
        """Wait until everything is acked, every bot turn has finished and the widget holds every
        message the database has, with nothing new for half a second."""
        assert self.pump(lambda: not self.pending), (
            f"never acked in conversation {self.conversation_id}: {list(self.pending)}"
        )
        deadline = time.monotonic() + PATIENCE
        quiet_since, known = time.monotonic(), -1
        stored: set[int] = set()
        turns_pending = True
        while time.monotonic() < deadline:
            stored, turns_pending = stored_seqs(faults, self.conversation_id)
            if len(stored) != known:
                quiet_since, known = time.monotonic(), len(stored)
            settled = not turns_pending and stored <= set(self.messages)
            if settled and time.monotonic() - quiet_since > 0.5:
                return
            self.pump(lambda: False, timeout=0.3)
        raise AssertionError(
            f"conversation {self.conversation_id} never settled: bot turns pending "
            f"{turns_pending}, not received {sorted(stored - set(self.messages))}, "
            f"errors {self.errors[:3]}"
        )

    def close(self) -> None:
        self._drop()


# --- what must hold, read from the database ---------------------------------------------------


def stored_seqs(faults: Faults, conversation_id: int) -> tuple[set[int], bool]:
    """The seqs stored, and whether a bot turn is still to finish."""
    with unit_of_work(faults.factory, read_only=True) as session:
        rows = session.execute(
            select(Message.seq, Message.bot_pending).where(
                Message.conversation_id == conversation_id
            )
        ).all()
        return {seq for seq, _ in rows}, any(pending for _, pending in rows)


def transcript(faults: Faults, conversation_id: int) -> list[Message]:
    with unit_of_work(faults.factory, read_only=True) as session:
        return list(
            session.scalars(
                select(Message)
                .options(undefer(Message.bot_pending))
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        )


def open_tickets(faults: Faults, conversation_id: int) -> int:
    with unit_of_work(faults.factory, read_only=True) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.conversation_id == conversation_id,
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
        return int(count or 0)


def kind(message: Message) -> Any:
    return message.payload.get("kind") if isinstance(message.payload, dict) else None


def check(faults: Faults, widget: Widget, *, handed_off: bool) -> list[Message]:
    """The invariants of one conversation after the fault; returns its transcript."""
    rows = transcript(faults, widget.conversation_id)
    where = f"conversation {widget.conversation_id}"
    # every message the customer wrote is stored exactly once, in the order written, with the
    # seq its ack named; nothing the customer did not write is stored as theirs
    by_id = Counter(m.client_msg_id for m in rows if m.sender == "customer")
    assert {i: by_id[i] for i in widget.sent} == dict.fromkeys(widget.sent, 1), where
    assert set(by_id) == set(widget.sent), where
    customer_rows = [m for m in rows if m.sender == "customer"]
    assert [m.client_msg_id for m in customer_rows] == widget.sent, where
    assert [m.text for m in customer_rows] == [widget.texts[i] for i in widget.sent], where
    # each is confirmed (an ack, or at least the echo of the stored message) with its own seq
    seqs = {m.client_msg_id: m.seq for m in customer_rows}
    assert {i: widget.acks.get(i, widget.echoed.get(i)) for i in seqs} == seqs, where
    assert all(seqs[i] == seq for i, seq in widget.acks.items()), where
    # seqs are gapless, and the widget, after its reconnects, holds exactly what is stored
    assert [m.seq for m in rows] == list(range(1, len(rows) + 1)), where
    assert {m.seq: (m.sender, m.text) for m in rows} == {
        s: (f["sender"], f["text"]) for s, f in widget.messages.items()
    }, where
    assert not widget.errors, (where, widget.errors)
    # no bot turn was left unfinished (one cut off by the kill ran again on the reconnect)
    assert not [m.seq for m in rows if m.bot_pending], where
    # at most one open ticket; after the handoff message the bot says nothing more
    assert open_tickets(faults, widget.conversation_id) == (1 if handed_off else 0), where
    handoffs = [m for m in rows if kind(m) == "handoff"]
    if handed_off:
        assert handoffs, f"{where}: no handoff message"
        after = [m for m in rows if m.seq > handoffs[0].seq]
        assert not [(m.seq, m.sender, kind(m)) for m in after if m.sender == "bot"], where
        assert not [m.seq for m in after if m.sender == "system" and kind(m) == "error"], where
    else:
        assert not handoffs, where
    return rows


def check_every_question_answered(faults: Faults, widget: Widget) -> None:
    """A conversation that stayed with the bot: each customer message got its turn's reply
    (the bot's answer, or the "trouble, want a person?" reply while the bot was away)."""
    rows = transcript(faults, widget.conversation_id)
    questions = [m for m in rows if m.sender == "customer"]
    replies = [m for m in rows if m.sender == "bot" or kind(m) == "error"]
    assert len(replies) >= len(questions), [(m.seq, m.sender, m.text[:30]) for m in rows]


def check_replay(stack: Stack, widget: Widget, rows: Sequence[Message]) -> None:
    """A fresh reconnect from the middle of the conversation gets exactly what came after."""
    since = rows[len(rows) // 2].seq
    again = Customer(stack.ws_url, widget.token, since=since)
    try:
        frames = again.drain(quiet=1.0)
    finally:
        again.close()
    replayed = [f["seq"] for f in frames if f["type"] == "message"]
    assert replayed == [m.seq for m in rows if m.seq > since], widget.conversation_id


# --- helpers for the scenarios ----------------------------------------------------------------


@dataclass
class Crowd:
    """Threads that each run one customer's (or agent's) part; their failures are collected."""

    threads: list[threading.Thread] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)

    def run(self, work: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                work()
            except BaseException as exc:  # reported by join()
                self.failures.append(exc)

        thread = threading.Thread(target=guarded, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=PATIENCE * 2)
        assert not [t for t in self.threads if t.is_alive()], "a customer or agent hung"
        if self.failures:
            raise self.failures[0]


def agent_for(faults: Faults, who: str) -> AgentClient:
    email = AGENTS[who][0]
    return AgentClient(faults.stack.base_url, email, PASSWORD)


def write_through(agent: AgentClient, path: str, body: dict[str, Any]) -> httpx.Response:
    """An agent's write, retried while the api is unreachable (an agent reply carries its own
    client_msg_id, so a retry stores it once). A 5xx is never retried: it fails the test."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            response = agent.post(path, body)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        assert response.status_code < 500, (path, response.status_code, response.text)
        return response


def hand_off_and_claim(faults: Faults, agent: AgentClient) -> tuple[Widget, int]:
    """A customer already handed off, their ticket claimed by ``agent``."""
    widget = Widget(faults.stack)
    reply = widget.ask(ASK_FOR_PERSON)
    assert reply["payload"]["kind"] == "handoff", reply
    ticket_id = int(reply["payload"]["ticket_id"])
    claimed = write_through(agent, f"/v1/agent/tickets/{ticket_id}/claim", {})
    assert claimed.status_code == 200, claimed.text
    return widget, ticket_id


def agent_replies(agent: AgentClient, ticket_id: int, count: int, pause: float) -> list[str]:
    ids = []
    for n in range(count):
        msg_id = uuid.uuid4().hex
        ids.append(msg_id)
        body = {"text": f"Looking into it ({n + 1})", "client_msg_id": msg_id}
        response = write_through(agent, f"/v1/agent/tickets/{ticket_id}/messages", body)
        assert response.status_code == 201, response.text
        time.sleep(pause)
    return ids


def check_agent_replies(faults: Faults, conversation_id: int, ids: Sequence[str]) -> None:
    stored = Counter(
        m.client_msg_id for m in transcript(faults, conversation_id) if m.sender == "agent"
    )
    assert {i: stored[i] for i in ids} == dict.fromkeys(ids, 1)


# --- the tests --------------------------------------------------------------------------------


def test_api_killed_mid_chat_and_mid_handoff_loses_and_duplicates_nothing(faults: Faults) -> None:
    stack = faults.stack
    alice = agent_for(faults, "alice")
    waiting, ticket_id = hand_off_and_claim(faults, alice)  # a handoff being worked
    asker = Widget(stack)  # asks for a person right when the api dies
    chatters = [Widget(stack) for _ in range(2)]
    everyone = [waiting, asker, *chatters]
    for widget in (asker, *chatters):
        assert widget.ask(QUESTIONS[0])["sender"] == "bot"
    asked = threading.Event()
    agent_ids: list[str] = []
    crowd = Crowd()

    def ask_for_person() -> None:
        asker.chat(QUESTIONS[1:3])
        asker.send(ASK_FOR_PERSON)
        asked.set()
        asker.chat(["hello?", "is anyone there?"])
        asker.settle(faults)

    def chat_and_settle(widget: Widget, texts: Sequence[str]) -> Callable[[], None]:
        def part() -> None:
            widget.chat(texts)
            widget.settle(faults)

        return part

    crowd.run(ask_for_person)
    for widget in chatters:
        crowd.run(chat_and_settle(widget, QUESTIONS[1:]))
    crowd.run(chat_and_settle(waiting, [f"any news? ({n})" for n in range(6)]))
    crowd.run(lambda: agent_ids.extend(agent_replies(alice, ticket_id, 4, 0.5)))

    assert asked.wait(timeout=PATIENCE)
    faults.kill("api")
    time.sleep(1.0)  # customers and the agent keep writing into the outage
    faults.restart("api")
    crowd.join()

    asker.chat(["thanks"])  # to the ticket: the cut-off request for a person was carried out
    for widget in chatters:  # the bot answers again after the restart
        assert widget.ask(QUESTIONS[0])["sender"] == "bot"
    for widget in everyone:
        widget.settle(faults)

    assert all(w.connects >= 2 for w in everyone), [w.connects for w in everyone]
    for widget, handed_off in ((waiting, True), (asker, True), *((w, False) for w in chatters)):
        rows = check(faults, widget, handed_off=handed_off)
        check_replay(stack, widget, rows)
    for widget in chatters:  # every question answered, also those whose turn the kill cut off
        check_every_question_answered(faults, widget)
    check_agent_replies(faults, waiting.conversation_id, agent_ids)
    for widget in everyone:
        widget.close()
    alice.close()


def test_rasa_killed_mid_chat_offers_a_person_and_loses_nothing(faults: Faults) -> None:
    stack = faults.stack
    bob = agent_for(faults, "bob")
    waiting, ticket_id = hand_off_and_claim(faults, bob)
    asker = Widget(stack)  # meets the dead bot, takes the offered person
    chatters = [Widget(stack) for _ in range(2)]
    everyone = [waiting, asker, *chatters]
    for widget in (asker, *chatters):
        assert widget.ask(QUESTIONS[0])["sender"] == "bot"
    killed = threading.Event()
    agent_ids: list[str] = []
    crowd = Crowd()

    def chat_through(widget: Widget) -> Callable[[], None]:
        def part() -> None:
            widget.chat(QUESTIONS[1:3])
            killed.wait(timeout=PATIENCE)
            widget.chat(QUESTIONS[3:])

        return part

    for widget in chatters:
        crowd.run(chat_through(widget))
    crowd.run(lambda: waiting.chat([f"any news? ({n})" for n in range(6)]))
    crowd.run(lambda: agent_ids.extend(agent_replies(bob, ticket_id, 4, 0.5)))

    time.sleep(1.0)  # mid-chat
    faults.kill("rasa")
    killed.set()
    trouble = asker.ask(QUESTIONS[4])
    assert trouble["sender"] == "system" and trouble["payload"]["kind"] == "error", trouble
    [button] = trouble["payload"]["buttons"]
    assert button["payload"] == "/request_human"
    handed = asker.ask(button["title"], payload=button["payload"])
    assert handed["payload"]["kind"] == "handoff", handed
    asker.chat(["thank you", "still waiting"])
    crowd.join()

    faults.restart("rasa")
    for widget in chatters:  # the bot answers again
        assert widget.ask(QUESTIONS[0])["sender"] == "bot"
    asker.chat(["hello again"])  # to the ticket, not the bot
    for widget in everyone:
        widget.settle(faults)

    for widget, handed_off in ((waiting, True), (asker, True), *((w, False) for w in chatters)):
        rows = check(faults, widget, handed_off=handed_off)
        check_replay(stack, widget, rows)
    for widget in chatters:  # while Rasa was down they were told, and offered a person
        check_every_question_answered(faults, widget)
        rows = transcript(faults, widget.conversation_id)
        assert any(m.sender == "system" and kind(m) == "error" for m in rows), widget.sent
    check_agent_replies(faults, waiting.conversation_id, agent_ids)
    for widget in everyone:
        widget.close()
    bob.close()


def test_sqlite_with_20_concurrent_writers_never_shows_database_is_locked(faults: Faults) -> None:
    stack = faults.stack
    log_start = len(faults.api_log())
    alice = agent_for(faults, "alice")
    waiting, ticket_id = hand_off_and_claim(faults, alice)
    widgets = [Widget(stack) for _ in range(20)]
    start_together = threading.Barrier(len(widgets) + 1)
    agent_ids: list[str] = []
    statuses: list[int] = []
    crowd = Crowd()

    def customer(widget: Widget) -> Callable[[], None]:
        def part() -> None:
            assert widget.pump(lambda: widget.connects > 0, timeout=30)
            start_together.wait(timeout=60)
            for text in QUESTIONS[:3]:  # all at once, not waiting for the bot
                widget.send(text)
            widget.settle(faults)

        return part

    def agent() -> None:
        start_together.wait(timeout=60)
        for n in range(10):
            msg_id = uuid.uuid4().hex
            agent_ids.append(msg_id)
            body = {"text": f"On it ({n})", "client_msg_id": msg_id}
            statuses.append(alice.post(f"/v1/agent/tickets/{ticket_id}/messages", body).status_code)
            note = {"text": f"internal note {n}"}
            statuses.append(alice.post(f"/v1/agent/tickets/{ticket_id}/notes", note).status_code)

    for widget in widgets:
        crowd.run(customer(widget))
    crowd.run(agent)
    crowd.join()

    assert statuses == [201] * 20, statuses
    check_agent_replies(faults, waiting.conversation_id, agent_ids)
    for widget in widgets:
        check(faults, widget, handed_off=False)
        check_every_question_answered(faults, widget)
    log = faults.api_log()[log_start:]
    assert "database is locked" not in log, log[-3000:]
    for widget in [waiting, *widgets]:
        widget.close()
    alice.close()
