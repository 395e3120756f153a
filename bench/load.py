"""Load: many customers chatting at once on the widget WebSocket while agents take the handoffs,
on the default SQLite stack (one api worker, one Rasa server) and, when PostgreSQL and Redis are
there, on PostgreSQL + Redis with two api worker processes and two Rasa servers.

    .venv/bin/python -m bench.load --json                      # 200 conversations, 120 s
    .venv/bin/python -m bench.load --conversations 40 --duration 60 --json
    .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/test --json
    .venv/bin/python -m bench.load --find-max --json           # + the step search

Each conversation is one widget session on its own WebSocket (asyncio + the ``websockets``
client: one process, no thread per client). It sends a message every ``--interval`` seconds
(first sends spread evenly over one interval, so the offered rate is conversations / interval
from the start) and waits for the bot's reply before the next one, as a person does; a reply
slower than the interval makes the next send late, and ``reply_ms_from_schedule`` counts that
wait too. Messages are the demo KB's English example questions, each in a wording not asked
before (``--phrasing kb``: verbatim, their query vectors then cached), and a request for a person
in ``--handoff-share`` of the bot-mode turns. ``--agents`` agents (created in the bench's own
database, L1, English) are online on the agent WebSocket: they accept every offer, reply once
and resolve ``--agent-hold`` seconds later, and the conversation goes back to the bot.

Per setup and window: turns sent and acknowledged, throughput, reply latency (customer message
sent → the first bot/system message after its ack, bot-mode turns only), errors (error frames,
5xx and other unexpected statuses, unexpected socket closes, turns without ack or reply, the
bot's "assistant unavailable" replies), lost messages (sent but never acknowledged, or not in
the database at the end) and duplicated ones (a client_msg_id or seq stored twice, a seq
delivered twice on a socket), checked against the database after the window, which also shows
stored messages never delivered live and bot-mode messages nothing answered. CPU: utime + stime
from ``/proc/<pid>/stat`` of every process in each api's and Rasa server's tree, before and
after the window (the drain after it included), per acknowledged turn, and less what the
servers spend idle (read over 5 s before the window, agents online); the bench's own CPU is
reported apart (``generator``), so are the PostgreSQL backends of the bench's database and the
whole Redis server (shared with whatever else uses it). RSS and peak RSS per server process.
``--find-max`` then runs short windows at increasing rates (new conversations each,
``--find-max-interval`` apart) and reports the last whose p99 (from the schedule) stayed under
1 s with no errors, nothing lost and at least 90 % of the offered rate.

Everything targets 127.0.0.1; every loop and wait is bounded; every process started here is
stopped on exit (Ctrl-C and SIGTERM too), PostgreSQL databases are dropped and the run's Redis
keys deleted. JSON on stdout, a one-line summary per setup on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
from sqlalchemy import select, text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.chat_latency import demo_questions, environment
from handoff import agents as agent_service
from handoff.lifecycle import Role, Tier
from handoff.models import Message
from handoff.person_request import asks_for_person
from tests.databases import fresh_database, redis_for_tests
from tests.stack import free_port, prepare
from tierzero.cli.supervisor import Child, Supervisor
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.settings import Settings

ACK_TIMEOUT = 15.0
REPLY_TIMEOUT = 30.0
MAX_RECONNECTS = 3
P99_TARGET_MS = 1000.0
IDLE_SECONDS = 5.0  # the servers' idle CPU is read over this long before the window
AGENT_PASSWORD = "load-bench-password"
SAMPLES = 5  # error texts kept per kind
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: English requests for a person (each one the flow's rules recognise; checked at start).
PERSON_REQUESTS = (
    "I want to talk to a person please",
    "can I speak to a human?",
    "please connect me with a real agent",
    "let me talk to someone from support",
    "I would like to chat with a human agent",
)
#: System messages that give the conversation back to the bot.
BACK_TO_BOT = frozenset({"ticket_resolved", "back_to_bot"})
REPORTED_PARAMETERS = (
    "conversations", "interval", "duration", "agents", "agent_hold", "handoff_share", "warmup",
    "phrasing", "find_max", "seed",
)  # fmt: skip


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "mean": None, "max": None}
    array = np.asarray(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 1),
        "p90": round(float(np.percentile(array, 90)), 1),
        "p99": round(float(np.percentile(array, 99)), 1),
        "mean": round(float(array.mean()), 1),
        "max": round(float(array.max()), 1),
    }


def load_questions() -> list[str]:
    """The demo KB's English example questions, less those that ask for a person."""
    return [q for q in dict.fromkeys(demo_questions()) if not asks_for_person(q)]


class Questions:
    """What customers ask. ``phrasing="new"``: an example question in words of the customer's
    own, never asked before in the setup, so the api pays the query encode as it does for real
    customers (the KB's own wording is in its embedding cache: ~20 ms less a turn).
    ``"kb"``: the example questions as the KB writes them."""

    OPENERS = ("hi, ", "hello, ", "quick question: ", "hey, ", "excuse me, ", "good morning, ")
    CLOSERS = ("", "?", " please", ", thanks", " - can you help?")

    def __init__(self, pool: list[str], phrasing: str) -> None:
        self.pool = pool
        self.phrasing = phrasing
        self.asked: set[str] = set()

    def ask(self, rng: random.Random) -> str:
        question = rng.choice(self.pool)
        if self.phrasing == "kb":
            return question
        base = question.rstrip("?.! ").lower()
        text = base
        for _ in range(20):  # bounded: a repeat now and then is harmless
            text = rng.choice(self.OPENERS) + base + rng.choice(self.CLOSERS)
            if text not in self.asked:
                break
        self.asked.add(text)
        return text


# --- what the clients saw -----------------------------------------------------------------------


@dataclass
class Tally:
    """One window, as its customers and the agents saw it."""

    sent: int = 0
    acked: int = 0
    bot_turns: int = 0
    agent_mode_turns: int = 0
    late_sends: int = 0
    handoffs: int = 0
    duplicate_acks: int = 0  # "already stored" acks (only after a resend on reconnect)
    seq_redelivered: int = 0
    reply_ms: list[float] = field(default_factory=list)
    reply_from_schedule_ms: list[float] = field(default_factory=list)
    first_reply_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    reply_kinds: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)
    # agents
    offers: int = 0
    accepted: int = 0
    offer_conflicts: int = 0
    agent_replies: int = 0
    agent_reply_conflicts: int = 0
    resolved: int = 0
    accepted_tickets: set[int] = field(default_factory=set)
    tickets_done: set[int] = field(default_factory=set)
    handoff_to_accept_ms: list[float] = field(default_factory=list)
    agent_statuses: Counter[str] = field(default_factory=Counter)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        kept = self.samples.setdefault(kind, [])
        if len(kept) < SAMPLES:
            kept.append(detail[:300])


class CustomerClient:
    """One widget conversation: its session, its socket (reconnected with ``since`` and unacked
    messages resent, as the widget does) and its turns."""

    def __init__(self, base_url: str, tally: Tally, rng: random.Random) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http://", "ws://") + "/v1/widget/ws"
        self.tally = tally
        self.rng = rng
        self.token = ""
        self.conversation_id = 0
        self.ws: ClientConnection | None = None
        self.mode = "bot"  # "agent" from the handoff message until the ticket is resolved
        self.seqs: set[int] = set()
        self.max_seq = 0
        self.sent: list[str] = []
        self.acked: set[str] = set()
        self.refused: set[str] = set()  # answered with an error frame
        self.to_bot: set[str] = set()  # sent while the bot had the conversation
        self.unacked: dict[str, str] = {}  # client_msg_id -> frame, resent on reconnect
        self.acks: dict[str, asyncio.Future[tuple[dict[str, Any], float]]] = {}
        self.replies: list[tuple[int, float, dict[str, Any]]] = []  # bot/system messages
        self.arrived = asyncio.Event()
        self.connected = asyncio.Event()
        self.closing = False
        self.reconnects = 0
        self.reader: asyncio.Task[None] | None = None

    async def open(self, http: httpx.AsyncClient) -> None:
        response = await http.post(f"{self.base_url}/v1/widget/sessions", json={"language": "en"})
        if response.status_code >= 500:
            self.tally.error("http_5xx", f"POST /sessions {response.status_code}: {response.text}")
        response.raise_for_status()
        body = response.json()
        self.token, self.conversation_id = body["token"], int(body["conversation_id"])
        await self._connect()
        self.reader = asyncio.create_task(self._read())

    async def _connect(self) -> None:
        self.ws = await connect(
            f"{self.ws_url}?since={self.max_seq}", open_timeout=10, max_size=2**22,
            ping_interval=None,  # a browser's WebSocket sends no pings either
        )  # fmt: skip
        await self.ws.send(json.dumps({"type": "auth", "token": self.token}))
        self.connected.set()

    async def _read(self) -> None:
        while True:
            assert self.ws is not None
            with contextlib.suppress(ConnectionClosed):
                async for raw in self.ws:
                    try:
                        self._on_frame(json.loads(raw), time.perf_counter())
                    except (ValueError, KeyError, TypeError) as exc:
                        self.tally.error("bad_frame", f"{exc!r}: {str(raw)[:200]}")
            if self.closing:
                return
            self.connected.clear()
            self.tally.error(
                "unexpected_close",
                f"conversation {self.conversation_id}: {self.ws.close_code} {self.ws.close_reason}",
            )
            if self.reconnects >= MAX_RECONNECTS:
                return
            self.reconnects += 1
            await asyncio.sleep(0.5)
            try:
                await self._connect()
                for data in list(self.unacked.values()):  # the widget resends what was unacked
                    await self.ws.send(data)
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.tally.error("reconnect_failed", f"{self.conversation_id}: {exc!r}")
                return

    def _on_frame(self, frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        msg_id = frame.get("client_msg_id")
        if kind in ("ack", "error") and msg_id in self.acks:
            future = self.acks[msg_id]
            if not future.done():
                future.set_result((frame, now))
        if kind == "error":
            self.tally.error(f"error_frame_{frame.get('status')}", str(frame.get("detail")))
        elif kind == "message":
            seq = int(frame["seq"])
            if seq in self.seqs:
                self.tally.seq_redelivered += 1
            self.seqs.add(seq)
            self.max_seq = max(self.max_seq, seq)
            if frame.get("sender") in ("bot", "system"):
                payload_kind = (frame.get("payload") or {}).get("kind")
                if payload_kind in BACK_TO_BOT:
                    self.mode = "bot"
                elif payload_kind == "handoff":
                    self.mode = "agent"
                self.replies.append((seq, now, frame))
                self.arrived.set()

    async def _reply_after(self, ack_seq: int) -> tuple[float, dict[str, Any]] | None:
        """The first bot/system message after ``ack_seq`` (its arrival time), within
        ``REPLY_TIMEOUT``."""
        deadline = time.perf_counter() + REPLY_TIMEOUT
        while True:
            self.arrived.clear()
            self.replies = [r for r in self.replies if r[0] > ack_seq]
            if self.replies:
                _, at, frame = min(self.replies, key=lambda r: r[0])
                return at, frame
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)

    async def turn(self, text: str, scheduled: float, *, first: bool) -> None:
        msg_id = uuid.uuid4().hex
        data = json.dumps({"type": "message", "client_msg_id": msg_id, "text": text})
        in_bot_mode = self.mode == "bot"
        if in_bot_mode:
            self.to_bot.add(msg_id)
        future: asyncio.Future[tuple[dict[str, Any], float]] = (
            asyncio.get_running_loop().create_future()
        )
        self.acks[msg_id] = future
        self.unacked[msg_id] = data
        self.sent.append(msg_id)
        self.tally.sent += 1
        started = time.perf_counter()
        try:
            if self.connected.is_set() and self.ws is not None:
                with contextlib.suppress(ConnectionClosed):  # resent once reconnected
                    await self.ws.send(data)
            frame, acked_at = await asyncio.wait_for(future, ACK_TIMEOUT)
        except TimeoutError:
            self.tally.error("no_ack", f"conversation {self.conversation_id}: {text!r}")
            return
        finally:
            self.acks.pop(msg_id, None)
        if frame["type"] == "error":
            self.unacked.pop(msg_id, None)
            self.refused.add(msg_id)  # counted as an error by the reader
            return
        self.unacked.pop(msg_id, None)
        self.acked.add(msg_id)
        self.tally.acked += 1
        self.tally.ack_ms.append((acked_at - started) * 1000)
        if frame.get("duplicate"):
            self.tally.duplicate_acks += 1
        if not in_bot_mode:
            self.tally.agent_mode_turns += 1  # for the agent: no bot reply to wait for
            return
        self.tally.bot_turns += 1
        reply = await self._reply_after(int(frame["seq"]))
        if reply is None:
            self.tally.error("no_reply", f"conversation {self.conversation_id}: {text!r}")
            return
        at, reply_frame = reply
        self.tally.reply_ms.append((at - started) * 1000)
        self.tally.reply_from_schedule_ms.append((at - scheduled) * 1000)
        if first:
            self.tally.first_reply_ms.append((at - started) * 1000)
        kind = str((reply_frame.get("payload") or {}).get("kind") or reply_frame["sender"])
        self.tally.reply_kinds[kind] += 1
        if kind == "handoff":
            self.tally.handoffs += 1
        elif kind == "error":  # the flow's "assistant unavailable" (Rasa failed or timed out)
            self.tally.error("bot_unavailable_reply", str(reply_frame.get("text")))

    async def run(
        self, start: float, end: float, interval: float, questions: Questions, handoff_share: float
    ) -> None:
        """Turns every ``interval`` seconds from ``start`` until ``end``; a late turn is sent at
        once (the schedule is kept, so the latency from it shows the wait)."""
        scheduled = start
        for number in range(math.ceil((end - start) / interval) + 1):  # bounded
            if scheduled >= end:
                return
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            if self.mode == "bot" and self.rng.random() < handoff_share:
                text = self.rng.choice(PERSON_REQUESTS)
            else:
                text = questions.ask(self.rng)
            await self.turn(text, scheduled, first=number == 0)
            scheduled += interval
            if time.perf_counter() > scheduled:
                self.tally.late_sends += 1

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.wait([self.reader], timeout=5)  # its end, not its exception


class AgentClient:
    """An agent on the desk: online on the agent socket, accepts each offer, replies once and
    resolves ``hold`` seconds later."""

    def __init__(self, base_url: str, email: str, hold: float) -> None:
        self.base_url = base_url
        self.email = email
        self.hold = hold
        self.tally = Tally()  # the current window's, set by the window
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.ws: ClientConnection | None = None
        self.token = ""
        self.closing = False
        self.reconnects = 0
        self.reader: asyncio.Task[None] | None = None
        self.working: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        response = await self.http.post(
            "/v1/agent/login", json={"email": self.email, "password": AGENT_PASSWORD}
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        await self._connect()
        self.reader = asyncio.create_task(self._read())

    async def _connect(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://") + "/v1/agent/ws"
        self.ws = await connect(ws_url, open_timeout=10, max_size=2**22, ping_interval=None)
        await self.ws.send(json.dumps({"type": "auth", "token": self.token}))
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"agent socket: {hello}")
        response = await self.http.put("/v1/agent/me/presence", json={"presence": "online"})
        response.raise_for_status()

    async def _read(self) -> None:
        while True:
            assert self.ws is not None
            with contextlib.suppress(ConnectionClosed):
                async for raw in self.ws:
                    frame = json.loads(raw)
                    if frame.get("type") == "offer":
                        self.tally.offers += 1
                        task = asyncio.create_task(self._work(frame["offer"]))
                        self.working.add(task)
                        task.add_done_callback(self.working.discard)
                    elif frame.get("type") == "error":
                        self.tally.error("agent_error_frame", str(frame))
            if self.closing:
                return
            self.tally.error(
                "agent_unexpected_close",
                f"{self.email}: {self.ws.close_code} {self.ws.close_reason}",
            )
            if self.reconnects >= MAX_RECONNECTS:
                return
            self.reconnects += 1
            await asyncio.sleep(0.5)
            try:
                await self._connect()
            except (OSError, WebSocketException, TimeoutError, httpx.HTTPError) as exc:
                self.tally.error("agent_reconnect_failed", f"{self.email}: {exc!r}")
                return

    async def _call(
        self, action: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | None:
        try:
            response = await self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            self.tally.error("agent_http_failed", f"{action}: {exc!r}")
            return None
        status = response.status_code
        self.tally.agent_statuses[f"{action} {status}"] += 1
        if status >= 500:
            self.tally.error("http_5xx", f"{action} {path} {status}: {response.text}")
        elif status >= 400 and status != 409:
            self.tally.error(f"agent_{action}_{status}", f"{path}: {response.text}")
        return response

    async def _work(self, offer: dict[str, Any]) -> None:
        try:
            await self._take(offer)
        except (KeyError, ValueError, TypeError) as exc:  # an answer of an unexpected shape
            self.tally.error("agent_task_failed", f"offer {offer.get('id')}: {exc!r}")
        finally:
            if offer.get("ticket_id") in self.tally.accepted_tickets:
                self.tally.tickets_done.add(offer["ticket_id"])  # resolved, or given up

    async def _take(self, offer: dict[str, Any]) -> None:
        accepted = await self._call("accept", "POST", f"/v1/agent/offers/{offer['id']}/accept")
        if accepted is None or accepted.status_code != 200:
            if accepted is not None and accepted.status_code == 409:
                self.tally.offer_conflicts += 1  # expired or taken meanwhile
            return
        self.tally.accepted += 1
        ticket_id = int(accepted.json()["id"])
        self.tally.accepted_tickets.add(ticket_id)
        created = datetime.fromisoformat(offer["ticket"]["created_at"])
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        self.tally.handoff_to_accept_ms.append((datetime.now(UTC) - created).total_seconds() * 1000)
        for _ in range(5):  # the customer may write in between: read again and retry
            detail = await self._call("ticket", "GET", f"/v1/agent/tickets/{ticket_id}")
            if detail is None or detail.status_code != 200:
                return
            last_seq = max((m["seq"] for m in detail.json()["transcript"]), default=0)
            body = {
                "text": "Hello, I'm looking into it now.",
                "last_seen_seq": last_seq,
                "client_msg_id": uuid.uuid4().hex,
            }
            sent = await self._call(
                "reply", "POST", f"/v1/agent/tickets/{ticket_id}/messages", body
            )
            if sent is None:
                return
            if sent.status_code == 201:
                self.tally.agent_replies += 1
                break
            if sent.status_code != 409:
                return
            self.tally.agent_reply_conflicts += 1
        await asyncio.sleep(self.hold)
        for _ in range(3):
            done = await self._call("resolve", "POST", f"/v1/agent/tickets/{ticket_id}/resolve", {})
            if done is None or done.status_code != 409:
                if done is not None and done.status_code == 200:
                    self.tally.resolved += 1
                return
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        self.closing = True
        for task in list(self.working):
            task.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.wait([self.reader], timeout=5)  # its end, not its exception
        await self.http.aclose()


# --- processes: CPU and memory ------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, utime + stime in clock ticks) of every process readable now."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw.rpartition(")")[2].split()  # the command name may hold spaces
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree(root: int, table: dict[int, tuple[int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    todo = [root] if root in table else []
    while todo and len(found) < 1000:  # bounded
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, peak RSS) in kB."""
    values = {"VmRSS": 0, "VmHWM": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in values:
                values[key] = int(value.split()[0])
    return values["VmRSS"], values["VmHWM"]


def machine_busy_ticks() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def generator_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Running:
    """A started stack: its settings, the api ports the clients spread over, its processes."""

    name: str
    settings: Settings
    supervisor: Supervisor
    api_ports: list[int]
    redis_url: str | None

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    @property
    def children(self) -> list[Child]:
        return list(self.supervisor.children)


@dataclass
class Snapshot:
    at: float
    servers: dict[str, dict[int, int]]  # child name -> pid -> ticks
    generator: float
    machine: int
    postgres: dict[int, int]
    redis: float | None


def postgres_backends(database_url: str) -> dict[int, int]:
    """Ticks of the PostgreSQL backends serving the bench's database (same machine only)."""
    if urlsplit(database_url).hostname not in ("127.0.0.1", "localhost"):
        return {}  # SQLite, or a server elsewhere
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            pids = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            table = process_table()
            return {pid: table[pid][1] for pid in pids if pid in table}
    except Exception:
        return {}
    finally:
        engine.dispose()


def redis_cpu(url: str | None) -> float | None:
    if not url:
        return None
    import redis

    try:
        info = redis.Redis.from_url(url, socket_timeout=2).info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    except (redis.RedisError, OSError, KeyError):
        return None


def snapshot(stack: Running) -> Snapshot:
    table = process_table()
    servers = {
        child.name: {pid: table[pid][1] for pid in tree(child.process.pid, table)}
        for child in stack.children
    }
    return Snapshot(
        at=time.perf_counter(),
        servers=servers,
        generator=generator_seconds(),
        machine=machine_busy_ticks(),
        postgres=postgres_backends(stack.settings.database_url),
        redis=redis_cpu(stack.redis_url),
    )


def ms(ticks: float) -> float:
    return ticks * 1000 / CLOCK_TICKS


def spent_ms(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU milliseconds of each server's process tree between two snapshots."""
    out = {}
    for name, pids in after.servers.items():
        earlier = before.servers.get(name, {})
        out[name] = ms(sum(t - earlier.get(pid, 0) for pid, t in pids.items()))
    return out


async def idle_cost(stack: Running, seconds: float) -> float:
    """The servers' CPU milliseconds per second with nobody chatting (agents online)."""
    before = snapshot(stack)
    await asyncio.sleep(seconds)
    after = snapshot(stack)
    return sum(spent_ms(before, after).values()) / (after.at - before.at)


def cpu_report(before: Snapshot, after: Snapshot, turns: int, idle: float) -> dict[str, Any]:
    """Server CPU over the window per acknowledged turn (also less what the servers spend
    idle, ``idle`` ms a second), and the rest of the machine beside."""
    per_turn = max(turns, 1)
    processes = []
    servers_ms = 0.0
    seconds = after.at - before.at
    by_server = spent_ms(before, after)
    for name, pids in after.servers.items():
        spent = by_server[name]
        servers_ms += spent
        rss = [memory_kb(pid) for pid in pids]
        processes.append({
            "name": name,
            "pids": len(pids),
            "cpu_ms": round(spent, 1),
            "cpu_ms_per_turn": round(spent / per_turn, 2),
            "rss_mb": round(sum(r[0] for r in rss) / 1024, 1),
            "peak_rss_mb": round(sum(r[1] for r in rss) / 1024, 1),
        })  # fmt: skip
    generator_ms = (after.generator - before.generator) * 1000
    postgres_ms = ms(sum(t - before.postgres.get(p, 0) for p, t in after.postgres.items()))
    redis_ms = (
        (after.redis - before.redis) * 1000
        if after.redis is not None and before.redis is not None
        else None
    )
    machine_ms = ms(after.machine - before.machine)
    cores = len(os.sched_getaffinity(0))
    return {
        "servers_ms": round(servers_ms, 1),
        "servers_ms_per_turn": round(servers_ms / per_turn, 2),
        "servers_idle_ms_per_s": round(idle, 1),
        "servers_ms_per_turn_above_idle": round((servers_ms - idle * seconds) / per_turn, 2),
        "processes": processes,
        "generator_ms": round(generator_ms, 1),
        "generator_ms_per_turn": round(generator_ms / per_turn, 2),
        "postgres_backends_ms_per_turn": round(postgres_ms / per_turn, 2)
        if after.postgres
        else None,
        "redis_server_ms_per_turn (whole server)": round(redis_ms / per_turn, 2)
        if redis_ms is not None
        else None,
        "seconds": round(seconds, 1),
        "machine_busy_share": round(machine_ms / (seconds * 1000 * cores), 3),
        "other_processes_cpu_ms": round(
            max(0.0, machine_ms - servers_ms - generator_ms - postgres_ms - (redis_ms or 0.0)), 1
        ),
    }


# --- one window ---------------------------------------------------------------------------------


def verify(database_url: str, clients: list[CustomerClient]) -> dict[str, Any]:
    """What the database holds for the window's conversations, against what the clients sent,
    were acknowledged and received."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    ids = [c.conversation_id for c in clients if c.conversation_id]
    rows: list[Any] = []
    try:
        with unit_of_work(factory, read_only=True) as session:
            for start in range(0, len(ids), 500):
                rows.extend(
                    session.execute(
                        select(
                            Message.conversation_id, Message.seq, Message.sender,
                            Message.client_msg_id,
                        ).where(Message.conversation_id.in_(ids[start : start + 500]))
                    ).all()
                )  # fmt: skip
    finally:
        engine.dispose()
    customer_ids: Counter[tuple[int, str]] = Counter()
    customer_seq: dict[tuple[int, str], int] = {}
    last_reply: dict[int, int] = {}  # conversation -> seq of its last bot/system message
    seqs: dict[int, Counter[int]] = {}
    agent_messages = 0
    for conversation_id, seq, sender, client_msg_id in rows:
        seqs.setdefault(conversation_id, Counter())[seq] += 1
        if sender == "customer" and client_msg_id:
            customer_ids[(conversation_id, client_msg_id)] += 1
            customer_seq[(conversation_id, client_msg_id)] = seq
        elif sender in ("bot", "system"):
            last_reply[conversation_id] = max(seq, last_reply.get(conversation_id, 0))
        elif sender == "agent":
            agent_messages += 1
    # a message sent to the bot that nothing from the bot or the system ever followed
    unanswered = sum(
        1
        for client in clients
        for msg_id in client.to_bot
        if customer_seq.get((client.conversation_id, msg_id), 0)
        > last_reply.get(client.conversation_id, 0)
    )
    lost_acked = lost_unacked = stored_unacked = refused = not_delivered = 0
    examples: list[str] = []
    for client in clients:
        for msg_id in client.sent:
            stored = (client.conversation_id, msg_id) in customer_ids
            if msg_id in client.acked and not stored:
                lost_acked += 1
                examples.append(f"acked, not stored: conversation {client.conversation_id}")
            elif msg_id in client.refused and not stored:
                refused += 1  # an error frame said so: an error, not a loss
            elif msg_id not in client.acked and not stored:
                lost_unacked += 1
            elif msg_id not in client.acked:
                stored_unacked += 1
        missing = set(seqs.get(client.conversation_id, {})) - client.seqs
        if missing and client.ws is not None:
            not_delivered += len(missing)
            examples.append(f"conversation {client.conversation_id}: seqs {sorted(missing)[:5]}")
    return {
        "lost": {
            "total": lost_acked + lost_unacked,
            "acked_not_stored": lost_acked,
            "never_acked_not_stored": lost_unacked,
        },
        "duplicated": {
            "client_msg_id_stored_twice": sum(1 for n in customer_ids.values() if n > 1),
            "seq_stored_twice": sum(1 for c in seqs.values() for n in c.values() if n > 1),
        },
        "stored_but_ack_missed": stored_unacked,
        "refused_not_stored": refused,
        "stored_not_delivered_live": not_delivered,
        "bot_messages_never_answered": unanswered,
        "agent_messages_stored": agent_messages,
        "examples": examples[:SAMPLES],
    }


async def window(
    stack: Running,
    agents: list[AgentClient],
    *,
    conversations: int,
    interval: float,
    duration: float,
    handoff_share: float,
    questions: Questions,
    seed: int,
    hold: float,
    idle: float,
) -> dict[str, Any]:
    """``conversations`` new conversations, spread over the api ports, chatting for
    ``duration`` seconds; then the drain, the CPU reading and the check against the database."""
    tally = Tally()
    for agent in agents:
        agent.tally = tally
    rng = random.Random(seed)
    urls = stack.api_urls
    clients = [
        CustomerClient(urls[i % len(urls)], tally, random.Random(rng.random()))
        for i in range(conversations)
    ]
    opening = asyncio.Semaphore(20)

    async def open_one(client: CustomerClient, http: httpx.AsyncClient) -> None:
        async with opening:
            await client.open(http)

    try:
        async with httpx.AsyncClient(timeout=30) as http:
            opened = await asyncio.gather(
                *(open_one(c, http) for c in clients), return_exceptions=True
            )
        for result in opened:
            if isinstance(result, BaseException):
                tally.error("open_failed", repr(result))
        live = [c for c, r in zip(clients, opened, strict=True) if r is None]
        before = snapshot(stack)
        start = time.perf_counter() + 0.2
        end = start + duration
        runs = [
            asyncio.create_task(
                c.run(start + i * interval / max(len(live), 1), end, interval, questions,
                      handoff_share)
            )
            for i, c in enumerate(live)
        ]  # fmt: skip
        if runs:
            _, late = await asyncio.wait(runs, timeout=duration + ACK_TIMEOUT + REPLY_TIMEOUT + 10)
            for task in late:
                task.cancel()
                tally.error("turn_cut_off", "a conversation's last turn outlived the window")
        sending_ended = time.perf_counter()
        await settle(agents, tally, timeout=hold + 20)
        await asyncio.sleep(2.0)  # the last frames in flight
        after = snapshot(stack)
        checks = await asyncio.to_thread(verify, stack.settings.database_url, live)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    sent_for = sending_ended - start
    return {
        "conversations": len(live),
        "interval_s": interval,
        "duration_s": duration,
        "offered_turns_per_s": round(conversations / interval, 2),
        "turns_sent": tally.sent,
        "turns_acked": tally.acked,
        "throughput_turns_per_s": round(tally.acked / duration, 2),
        "sending_took_s": round(sent_for, 1),
        "bot_turns": tally.bot_turns,
        "agent_mode_turns": tally.agent_mode_turns,
        "late_sends": tally.late_sends,
        "reply_ms": stats(tally.reply_ms),
        "reply_ms_from_schedule": stats(tally.reply_from_schedule_ms),
        "first_turn_reply_ms": stats(tally.first_reply_ms),
        "ack_ms": stats(tally.ack_ms),
        "reply_kinds": dict(tally.reply_kinds),
        "handoffs": tally.handoffs,
        "errors": {"total": sum(tally.errors.values()), **dict(tally.errors)},
        "error_samples": tally.samples,
        "lost": checks.pop("lost"),
        "duplicated": {
            **checks.pop("duplicated"),
            "seq_delivered_twice": tally.seq_redelivered,
            "duplicate_acks": tally.duplicate_acks,
        },
        "checks": checks,
        "agents": {
            "offers": tally.offers,
            "accepted": tally.accepted,
            "offer_conflicts": tally.offer_conflicts,
            "replies": tally.agent_replies,
            "reply_conflicts": tally.agent_reply_conflicts,
            "resolved": tally.resolved,
            "handoff_to_accept_ms": stats(tally.handoff_to_accept_ms),
            "statuses": dict(tally.agent_statuses),
        },
        "cpu": cpu_report(before, after, tally.acked, idle),
    }


async def settle(agents: list[AgentClient], tally: Tally, timeout: float) -> None:
    """Let the agents finish the window's handoffs (an offer may still be on its way when the
    last customer stops); bounded."""
    deadline = time.perf_counter() + timeout
    while agents and time.perf_counter() < deadline:
        if len(tally.tickets_done) >= tally.handoffs and not any(a.working for a in agents):
            return
        await asyncio.sleep(0.2)


def passed(result: dict[str, Any]) -> bool:
    p99 = result["reply_ms_from_schedule"]["p99"]
    return (
        p99 is not None
        and p99 < P99_TARGET_MS
        and result["errors"]["total"] == 0
        and result["lost"]["total"] == 0
        and result["throughput_turns_per_s"] >= 0.9 * result["offered_turns_per_s"]
    )


async def find_max(
    stack: Running, agents: list[AgentClient], args: argparse.Namespace, questions: Questions,
    idle: float,
) -> dict[str, Any]:  # fmt: skip
    """Short windows at rising rates until one fails; the last that passed."""
    steps: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    rate = args.find_max_start
    for number in range(args.find_max_steps):
        result = await window(
            stack, agents, conversations=max(1, round(rate * args.find_max_interval)),
            interval=args.find_max_interval, duration=args.find_max_window,
            handoff_share=args.handoff_share, questions=questions, seed=args.seed + 100 + number,
            hold=args.agent_hold, idle=idle,
        )  # fmt: skip
        ok = passed(result)
        steps.append({
            "offered_turns_per_s": result["offered_turns_per_s"],
            "conversations": result["conversations"],
            "throughput_turns_per_s": result["throughput_turns_per_s"],
            "p50_ms": result["reply_ms"]["p50"],
            "p99_ms": result["reply_ms"]["p99"],
            "p99_from_schedule_ms": result["reply_ms_from_schedule"]["p99"],
            "errors": result["errors"],
            "lost": result["lost"]["total"],
            "servers_cpu_ms_per_turn": result["cpu"]["servers_ms_per_turn"],
            "machine_busy_share": result["cpu"]["machine_busy_share"],
            "passed": ok,
        })  # fmt: skip
        print(f"load: {stack.name} find-max step {steps[-1]}", file=sys.stderr)
        if not ok:
            break
        best = steps[-1]
        rate *= args.find_max_factor
    return {
        "max_sustained_turns_per_s": best["throughput_turns_per_s"] if best else None,
        "at_offered_turns_per_s": best["offered_turns_per_s"] if best else None,
        "criterion": "p99 from schedule < 1000 ms, no errors, nothing lost, >= 90 % of offered",
        # every step passing makes the figure a lower bound
        "ended_by": "a failed step" if steps and not steps[-1]["passed"] else "the step limit",
        "window_s": args.find_max_window,
        "interval_s": args.find_max_interval,
        "steps": steps,
    }


async def drive(stack: Running, args: argparse.Namespace, questions: Questions) -> dict[str, Any]:
    urls = stack.api_urls
    agents = [
        AgentClient(urls[i % len(urls)], agent_email(i), args.agent_hold)
        for i in range(args.agents)
    ]
    try:
        await asyncio.gather(*(a.start() for a in agents))
        out: dict[str, Any] = {}
        if args.warmup > 0:
            warm = await window(
                stack, agents, conversations=min(10, args.conversations), interval=3.0,
                duration=args.warmup, handoff_share=0.0, questions=questions,
                seed=args.seed + 50, hold=args.agent_hold, idle=0.0,
            )  # fmt: skip
            out["warmup"] = {"turns_acked": warm["turns_acked"], "errors": warm["errors"]}
        idle = await idle_cost(stack, IDLE_SECONDS)
        out["window"] = await window(
            stack, agents, conversations=args.conversations, interval=args.interval,
            duration=args.duration, handoff_share=args.handoff_share, questions=questions,
            seed=args.seed, hold=args.agent_hold, idle=idle,
        )  # fmt: skip
        if args.find_max:
            out["find_max"] = await find_max(stack, agents, args, questions, idle)
        return out
    finally:
        await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)


# --- one setup ----------------------------------------------------------------------------------


def agent_email(index: int) -> str:
    return f"load-agent-{index + 1}@bench.test"


def create_agents(database_url: str, count: int) -> None:
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            for i in range(count):
                agent_service.create_agent(
                    session, email=agent_email(i), name=f"Load agent {i + 1}",
                    password=AGENT_PASSWORD, role=Role.AGENT, tier=Tier.L1, languages=("en",),
                )  # fmt: skip
    finally:
        engine.dispose()


def wait_ready(stack: Running, timeout: float) -> dict[str, str]:
    """Every api ready, with its person-request model loaded (bounded); their model states."""
    stack.supervisor.wait_ready(timeout=timeout)
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    for url in stack.api_urls:
        state = "not_ready"
        while time.monotonic() < deadline:
            for child in stack.children:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = httpx.get(f"{url}/readyz", timeout=5)
                state = str(response.json().get("person_model"))
                if response.status_code == 200 and state == "ready":
                    break
            time.sleep(1)
        states[url] = state
    return states


def log_problems(children: Iterable[Child]) -> dict[str, Any]:
    """Tracebacks and ERROR lines in the servers' logs (a few kept)."""
    out: dict[str, Any] = {}
    for child in children:
        try:
            lines = child.log_path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        bad = [line for line in lines if "Traceback" in line or "ERROR" in line]
        if bad:
            out[child.name] = {"lines": len(bad), "first": [b[:300] for b in bad[:3]]}
    return out


def forget_redis_keys(url: str, namespace: str) -> int:
    """Delete this run's keys (its namespace and Rasa's lock prefix); how many."""
    import redis

    rasa_prefix = "".join(c for c in namespace if c.isalnum()) + "rasa"
    deleted = 0
    with contextlib.suppress(redis.RedisError, OSError):
        client = redis.Redis.from_url(url, socket_timeout=5)
        for pattern in (f"{namespace}:*", f"{rasa_prefix}*"):
            for count, key in enumerate(client.scan_iter(match=pattern, count=500)):
                if count >= 100_000:  # bounded
                    break
                deleted += int(client.delete(key))
    return deleted


def run_setup(
    name: str, backend: str, redis_url: str | None, scratch: Path, args: argparse.Namespace,
    questions: list[str],
) -> dict[str, Any]:  # fmt: skip
    began = time.monotonic()
    var = scratch / name
    var.mkdir()
    overrides: dict[str, Any] = {}
    if redis_url:
        overrides = dict(
            redis_url=redis_url, redis_namespace=f"load-{uuid.uuid4().hex[:8]}", rasa_instances=2
        )
    with fresh_database(backend, var) as url:
        settings = prepare(var, url, **overrides)
        create_agents(url, args.agents)
        supervisor = Supervisor(settings)
        try:
            ports = [settings.api_port] + ([free_port()] if redis_url else [])
            supervisor.start_api()
            for port in ports[1:]:
                supervisor.start_api(port=port)
            supervisor.start_rasa_servers()
            stack = Running(name, settings, supervisor, ports, redis_url)
            person_model = wait_ready(stack, timeout=300)
            ready = time.monotonic()
            asked = Questions(questions, args.phrasing)  # per setup: no text asked twice
            result = asyncio.run(drive(stack, args, asked))
            result.update(
                api_workers=len(ports),
                rasa_servers=settings.rasa_instances,
                database=backend,
                redis=bool(redis_url),
                person_model=person_model,
                server_log_problems=log_problems(supervisor.children),
                seconds={
                    "startup": round(ready - began, 1),
                    "total": round(time.monotonic() - began, 1),
                },
            )
            return result
        finally:
            supervisor.stop()
            if redis_url:
                forget_redis_keys(redis_url, settings.redis_namespace)


def guarded(setup: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """A setup that failed is reported as such, and the next one still runs."""
    try:
        return setup(*args)
    except Exception as exc:
        trace = traceback.format_exc().splitlines()[-12:]
        print(f"load: {args[0]} failed: {exc!r}", file=sys.stderr)
        return {"failed": f"{type(exc).__name__}: {exc}"[:500], "traceback": trace}


def summary_line(name: str, result: dict[str, Any]) -> str:
    if "window" not in result:
        return f"load {name}: {result.get('skipped') or result.get('failed')}"
    w = result["window"]
    line = (
        f"load {name}: sent={w['turns_sent']} {w['throughput_turns_per_s']}/s "
        f"(offered {w['offered_turns_per_s']}) p50/p90/p99={w['reply_ms']['p50']}/"
        f"{w['reply_ms']['p90']}/{w['reply_ms']['p99']}ms errors={w['errors']['total']} "
        f"lost={w['lost']['total']} handoffs={w['handoffs']} "
        f"cpu={w['cpu']['servers_ms_per_turn']}ms/turn"
    )
    if "find_max" in result:
        line += f" max={result['find_max']['max_sustained_turns_per_s']}/s"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between turns")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of sending")
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--agent-hold", type=float, default=20.0, help="reply → resolve, s")
    parser.add_argument("--handoff-share", type=float, default=0.05)
    parser.add_argument("--warmup", type=float, default=10.0, help="untimed seconds (0: none)")
    parser.add_argument(
        "--phrasing", choices=("new", "kb"), default="new",
        help="customers' own wording (default) or the KB's example questions verbatim",
    )  # fmt: skip
    parser.add_argument("--postgres", help="PostgreSQL admin URL (default: $TIERZERO_TEST_…)")
    parser.add_argument("--redis", help="Redis URL (default redis://127.0.0.1:6379/15)")
    parser.add_argument("--setups", choices=("auto", "sqlite", "postgres"), default="auto")
    parser.add_argument("--find-max", action="store_true", help="then the step search")
    parser.add_argument("--find-max-start", type=float, default=4.0, help="turns/s")
    parser.add_argument("--find-max-factor", type=float, default=1.5)
    parser.add_argument("--find-max-steps", type=int, default=6)
    parser.add_argument("--find-max-window", type=float, default=30.0)
    parser.add_argument("--find-max-interval", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs)")
    parser.add_argument("--json", action="store_true", help="compact JSON on stdout")
    args = parser.parse_args(argv)
    # bounded runs; intervals of 2.5 s and more stay under the widget's 30 messages a minute
    bounds = {
        "conversations": (1, 2000), "interval": (2.5, 300), "duration": (5, 1800),
        "agents": (0, 50), "agent_hold": (0, 60), "handoff_share": (0, 0.5),
        "warmup": (0, 120), "find_max_start": (0.5, 200), "find_max_factor": (1.1, 3),
        "find_max_steps": (1, 10), "find_max_window": (10, 300), "find_max_interval": (2.5, 60),
    }  # fmt: skip
    for key, (low, high) in bounds.items():
        if not low <= getattr(args, key) <= high:
            parser.error(f"--{key.replace('_', '-')} must be within {low}..{high}")
    if args.postgres:
        os.environ["TIERZERO_TEST_DATABASE_URL"] = args.postgres  # what fresh_database reads
    if not all(asks_for_person(text) for text in PERSON_REQUESTS):
        parser.error("a request for a person in PERSON_REQUESTS is no longer recognised")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the finally blocks stop every child

    signal.signal(signal.SIGTERM, stop)
    began = time.monotonic()
    env = environment()
    questions = load_questions()
    setups: dict[str, Any] = {}
    scratch = Path(tempfile.mkdtemp(prefix="tz-load-"))
    try:
        if args.setups in ("auto", "sqlite"):
            setups["sqlite"] = guarded(
                run_setup, "sqlite", "sqlite", None, scratch, args, questions
            )
            print(summary_line("sqlite", setups["sqlite"]), file=sys.stderr)
        if args.setups in ("auto", "postgres"):
            redis_url = args.redis or redis_for_tests()
            if not os.environ.get("TIERZERO_TEST_DATABASE_URL"):
                setups["postgres_redis"] = {"skipped": "no PostgreSQL (--postgres URL)"}
            elif redis_url is None:
                setups["postgres_redis"] = {"skipped": "no Redis answering (--redis URL)"}
            else:
                setups["postgres_redis"] = guarded(
                    run_setup, "postgres_redis", "postgresql", redis_url, scratch, args, questions
                )
            print(summary_line("postgres_redis", setups["postgres_redis"]), file=sys.stderr)
    except KeyboardInterrupt:
        print("load: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "setups": setups,
        "parameters": {key: getattr(args, key) for key in REPORTED_PARAMETERS},
        "questions": len(questions),
        "timeouts_s": {"ack": ACK_TIMEOUT, "reply": REPLY_TIMEOUT},
        "environment": {**env, "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "seconds": {"total": round(time.monotonic() - began, 1)},
    }
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
