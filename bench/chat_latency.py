"""Chat latency: one customer question answered by TierZero's full widget path, next to a bare
Rasa 3.6 FAQ bot built by hand, measured in the same run with the same questions.

    .venv/bin/python -m bench.chat_latency --json [--questions 240] [--per-conversation 20]

Three paths, interleaved question by question (rotating order) so machine noise hits all:

* ``reference``: the FAQ bot of ``bench/reference_bot/`` (one intent per English demo article,
  the same NLU pipeline as TierZero's bot): Rasa's REST channel (``/webhooks/rest/webhook``)
  runs a rule that calls one custom action, ``action_answer`` (a fixed text per intent),
  served by the standard ``rasa run actions`` server. In-memory tracker store (Rasa's default).
* ``tierzero``: a real TierZero stack (api + Rasa, its own SQLite database in a scratch
  folder), a widget session over the WebSocket; timed from sending the message to the first
  bot/system message after its ack (the KB answer in the normal case).
* ``floor``: the same reference bot and channel, but the rule answers with a domain response
  (``utter_<intent>``): no action server, no custom code — what Rasa itself costs a turn.

The reference model is trained once into ``var/bench/chat_latency/`` (keyed by a hash of the
bot's files and the pinned Rasa requirements). Every path gets ``--warmup`` untimed turns
first; conversations hold ``--per-conversation`` questions. Besides each path's percentiles
the JSON splits TierZero's time: send → ack, the api's own means per bot turn and per action
call from Rasa (its ``/metrics`` histograms), and first against later turns of a conversation.
JSON on stdout, a one-line summary on stderr. Every wait is bounded; every process started here
is stopped on exit (Ctrl-C and SIGTERM too).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

from handoff.person_request import asks_for_person
from tests.stack import free_port, prepare
from tests.widget_client import Customer, open_session
from tierzero import migrate
from tierzero.cli.rasa_files import rasa_env
from tierzero.cli.supervisor import Supervisor
from tierzero.settings import PROJECT_ROOT, Settings

BOT_DIR = PROJECT_ROOT / "bench" / "reference_bot"
CACHE_DIR = PROJECT_ROOT / "var" / "bench" / "chat_latency"
RASA_VENV = PROJECT_ROOT / ".venv-rasa" / "bin"
PATHS = ("reference", "tierzero", "floor")
TURN_TIMEOUT = 30.0


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), 1) if values else None


def summary(values: list[float], errors: int) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "mean": round(float(np.mean(values)), 1) if values else None,
        "max": round(max(values), 1) if values else None,
        "errors": errors,
    }


# --- questions ----------------------------------------------------------------------------------


OPENERS = ("hi, ", "hello, ", "quick question: ", "hey, ", "excuse me, ", "good morning, ")


def vary(text: str, round_: int = 0) -> str:
    """A slightly different wording of a question: lower case, no final punctuation, a polite
    opener (a different one each round)."""
    return OPENERS[round_ % len(OPENERS)] + text.rstrip("?.! ").lower()


def demo_questions() -> list[str]:
    """Every English example question of the demo KB, in its order."""
    articles = yaml.safe_load((PROJECT_ROOT / "kb" / "demo" / "articles.yaml").read_text())
    pool: list[str] = []
    for article in articles["articles"]:
        english = article.get("translations", {}).get("en")
        if english:
            pool.extend(str(q) for q in english.get("questions", []))
    return pool


def load_questions(
    count: int, seed: int, phrasing: str = "new"
) -> tuple[list[str], list[str], int]:
    """``count`` English example questions of the demo KB (shuffled with ``seed``), the warm-up
    questions, and how many example questions were left out because they ask for a person
    (those would hand the TierZero conversation to an agent).

    ``phrasing="kb"`` asks them as the KB writes them. Their embeddings are then already in
    TierZero's cache (the KB and the person-request model are built from them), so its turns
    skip the ~20 ms query encode a customer's own words cost. ``"new"`` (the default) asks
    each in a wording of its own, as customers do: the encode is paid on every turn."""
    pool = demo_questions()
    eligible = [q for q in dict.fromkeys(pool) if not asks_for_person(q)]
    left_out = len(pool) - len(eligible)
    rng = random.Random(seed)
    rng.shuffle(eligible)
    chosen: list[str] = []
    round_ = 0
    while len(chosen) < count and round_ < 10:  # bounded: ten rounds of variations
        chosen.extend(
            q if round_ == 0 and phrasing == "kb" else vary(q, round_)
            for q in eligible[: count - len(chosen)]
        )
        round_ += 1
    warmup = [vary(q, 5) for q in reversed(eligible[-10:])]
    return chosen, warmup, left_out


# --- child processes ----------------------------------------------------------------------------


@dataclass
class Children:
    """Processes started here, each in its own session (a terminal's Ctrl-C reaches only the
    bench, which then stops them in order)."""

    started: list[tuple[str, subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        log_path = cwd / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.started.append((name, process, log_path))

    def check(self) -> None:
        for name, process, log_path in self.started:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(f"{name} exited ({process.returncode}):\n" + "\n".join(tail))

    def stop(self, grace: float = 10.0) -> None:
        for _, process, _ in reversed(self.started):
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, process, _ in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        self.started.clear()


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)  # the child and anything it started (Sanic workers)


def wait_until(ready: Callable[[], bool], children: Children, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children.check()
        try:
            if ready():
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s")


# --- the reference bot --------------------------------------------------------------------------


def bot_fingerprint() -> str:
    digest = hashlib.sha256()
    for file in sorted(
        p for p in BOT_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(str(file.relative_to(BOT_DIR)).encode())
        digest.update(file.read_bytes())
    digest.update((PROJECT_ROOT / "requirements-rasa.txt").read_bytes())
    return digest.hexdigest()[:16]


def reference_model(workdir: Path) -> tuple[Path, float | None]:
    """The trained reference model (cached); seconds spent training, None when cached."""
    name = f"reference-{bot_fingerprint()}"
    model = CACHE_DIR / f"{name}.tar.gz"
    if model.exists():
        return model, None
    started = time.monotonic()
    out = workdir / "models"
    command = [
        str(RASA_VENV / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml",
        "--data", "data", "--out", str(out), "--fixed-model-name", name, "--quiet",
    ]  # fmt: skip
    with (workdir / "train.log").open("w") as log:
        result = subprocess.run(
            command, cwd=workdir, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT,
            timeout=900,
        )  # fmt: skip
    if result.returncode != 0:
        tail = (workdir / "train.log").read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError("reference bot training failed:\n" + "\n".join(tail))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    shutil.move(out / f"{name}.tar.gz", model)  # whole files only in the cache
    return model, time.monotonic() - started


@dataclass
class ReferenceBot:
    url: str
    client: httpx.Client

    def set_path(self, sender: str, path: str) -> None:
        """Which rule set this conversation follows (untimed, before its first turn). Stamped
        just ahead, so a session started by the first message keeps it (see handoff.bot)."""
        event = {"event": "slot", "name": "path", "value": path, "timestamp": time.time() + 1.0}
        response = self.client.post(
            f"/conversations/{sender}/tracker/events",
            params={"include_events": "NONE"},
            json=event,
        )
        response.raise_for_status()

    def turn(self, sender: str, text: str) -> float:
        """One REST turn; milliseconds from sending to the answer."""
        started = time.perf_counter()
        response = self.client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": text}
        )
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        replies = response.json()
        if not isinstance(replies, list) or not replies or not replies[0].get("text"):
            raise RuntimeError(f"no answer: {replies!r}")
        return elapsed

    def actions_run(self, sender: str) -> dict[str, int]:
        """Which actions the bot ran in this conversation (utter_* counted together)."""
        response = self.client.get(
            f"/conversations/{sender}/tracker", params={"include_events": "ALL"}
        )
        response.raise_for_status()
        names: Counter[str] = Counter()
        for event in response.json()["events"]:
            name = event.get("name") if event.get("event") == "action" else None
            if name and name not in ("action_listen", "action_session_start"):
                names["utter_*" if name.startswith("utter_") else name] += 1
        return dict(names)


def start_reference(workdir: Path, children: Children) -> tuple[ReferenceBot, float | None]:
    shutil.copytree(
        BOT_DIR, workdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    model, trained = reference_model(workdir)
    actions_port, rasa_port = free_port(), free_port()
    endpoints = {"action_endpoint": {"url": f"http://127.0.0.1:{actions_port}/webhook"}}
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    env = {**rasa_env(), "SANIC_HOST": "127.0.0.1"}  # the action server binds 0.0.0.0 otherwise
    rasa = str(RASA_VENV / "rasa")
    children.start(
        "reference-actions",
        [rasa, "run", "actions", "--actions", "actions", "--port", str(actions_port), "--quiet"],
        workdir, env,
    )  # fmt: skip
    children.start(
        "reference-rasa",
        [
            rasa, "run", "--model", str(model), "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--interface", "127.0.0.1",
            "--port", str(rasa_port), "--enable-api", "--quiet",
        ],
        workdir, env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{rasa_port}"
    wait_until(
        lambda: httpx.get(f"http://127.0.0.1:{actions_port}/health", timeout=2).status_code
        == 200,
        children, "the reference action server", 180,
    )  # fmt: skip
    wait_until(
        lambda: bool(httpx.get(f"{url}/status", timeout=2).json().get("model_file")),
        children, "the reference Rasa server", 300,
    )  # fmt: skip
    return ReferenceBot(url, httpx.Client(base_url=url, timeout=TURN_TIMEOUT)), trained


# --- TierZero -----------------------------------------------------------------------------------


@dataclass
class TierZero:
    base_url: str
    ws_url: str
    customer: Customer | None = None
    kinds: Counter[str] = field(default_factory=Counter)
    handoffs: int = 0
    ack_ms: list[float] = field(default_factory=list)

    def new_conversation(self) -> None:
        self.close()
        session = open_session(self.base_url, language="en")
        self.customer = Customer(self.ws_url, session["token"])

    def server_timings(self) -> dict[str, float]:
        """Sums and counts of the api's bot-turn and action-call histograms (``/metrics``,
        loopback); empty when the api has none."""
        wanted = {
            "tierzero_bot_turn_seconds_sum": "bot_turn_sum",
            "tierzero_bot_turn_seconds_count": "bot_turn_count",
        }
        out: dict[str, float] = {}
        try:
            response = httpx.get(f"{self.base_url}/metrics", timeout=10)
            response.raise_for_status()
        except httpx.HTTPError:
            return out
        for line in response.text.splitlines():
            name, _, value = line.rpartition(" ")
            metric = name.split("{", 1)[0]
            if metric in wanted:
                out[wanted[metric]] = float(value)
            elif 'route="/internal/rasa/actions"' in name and metric.startswith(
                "tierzero_http_request_seconds_"
            ):
                key = "rasa_action_call_" + metric.rsplit("_", 1)[1]
                if key.endswith(("_sum", "_count")):
                    out[key] = out.get(key, 0.0) + float(value)
        return out

    def close(self) -> None:
        customer, self.customer = self.customer, None
        if customer is not None:
            with contextlib.suppress(Exception):  # a broken socket is closed all the same
                customer.close()

    def turn(self, text: str, *, timed: bool) -> float:
        """Send → the first bot/system message after the ack (the customer's ``ask``, with
        the ack time kept apart and an error frame reported at once), in milliseconds."""
        if self.customer is None:
            self.new_conversation()
        assert self.customer is not None
        started = time.perf_counter()
        msg_id = self.customer.send(text)
        ack = self.customer.wait_for(
            lambda f: f["type"] in ("ack", "error") and f.get("client_msg_id") == msg_id,
            TURN_TIMEOUT,
        )
        if ack["type"] == "error":
            raise RuntimeError(f"error frame: {ack}")
        acked = time.perf_counter()
        reply = self.customer.wait_for(
            lambda f: (
                f["type"] == "message"
                and f["sender"] in ("bot", "system")
                and f["seq"] > ack["seq"]
            ),
            TURN_TIMEOUT,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if not timed:
            return elapsed
        self.ack_ms.append((acked - started) * 1000)
        kind = (reply.get("payload") or {}).get("kind") or reply["sender"]
        self.kinds[str(kind)] += 1
        if kind == "handoff" or (reply.get("payload") or {}).get("ticket_id"):
            self.handoffs += 1
            self.customer = None  # a person has the conversation now: start a new one
        return elapsed


def server_means(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Mean milliseconds per call over the measured turns, from the api's own histograms."""
    out: dict[str, Any] = {}
    for name in ("bot_turn", "rasa_action_call"):
        count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
        total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
        out[name] = {"n": int(count), "mean": round(total / count * 1000, 1) if count else None}
    return out


def tierzero_settings(var: Path) -> Settings:
    url = f"sqlite:///{var / 'tierzero.db'}"
    migrate.upgrade(url)
    settings = prepare(var, url)  # the demo KB and test agents, as the tests and screenshots do
    # 30 messages a minute per conversation protects the real widget; the bench's
    # conversations ask faster than that (the limiter itself still runs on every message)
    settings.messages_per_minute = 1_000_000
    return settings


def wait_tierzero(supervisor: Supervisor, settings: Settings, timeout: float) -> str:
    """Ready, and the learned person-request model loaded (as in production after start);
    returns its state."""
    supervisor.wait_ready(timeout=timeout)
    deadline = time.monotonic() + 120
    state = "loading_or_off"
    while time.monotonic() < deadline:
        body = httpx.get(f"http://127.0.0.1:{settings.api_port}/readyz", timeout=5).json()
        state = str(body.get("person_model"))
        if state == "ready":
            break
        time.sleep(1)
    return state


# --- the run ------------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    rasa_info = subprocess.run(
        [str(RASA_VENV / "python"), "-c",
         "import platform, rasa, rasa_sdk; "
         "print(platform.python_version(), rasa.__version__, rasa_sdk.__version__)"],
        capture_output=True, text=True, timeout=120, env=rasa_env(),
    ).stdout.split()  # fmt: skip
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=10,
    ).stdout.strip()  # fmt: skip
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "rasa_python": rasa_info[0] if rasa_info else None,
        "rasa": rasa_info[1] if len(rasa_info) > 1 else None,
        "rasa_sdk": rasa_info[2] if len(rasa_info) > 2 else None,
        "platform": platform.platform(),
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def run(
    questions: int,
    per_conversation: int,
    warmup: int,
    seed: int,
    keep: bool,
    phrasing: str = "new",
) -> dict[str, Any]:
    began = time.monotonic()
    env = environment()
    asked, warm, left_out = load_questions(questions, seed, phrasing)
    scratch = Path(tempfile.mkdtemp(prefix="tz-chat-latency-"))
    children = Children()
    supervisor: Supervisor | None = None
    tierzero: TierZero | None = None
    reference: ReferenceBot | None = None
    try:
        # TierZero's processes start first, then the reference bot trains and starts while the
        # api builds its KB index
        (scratch / "tierzero").mkdir()
        settings = tierzero_settings(scratch / "tierzero")
        supervisor = Supervisor(settings)
        api = supervisor.start_api()
        supervisor.start_rasa()
        args = api.process.args
        command = [str(a) for a in args] if isinstance(args, list | tuple) else [str(args)]
        api_ws = command[command.index("--ws") + 1] if "--ws" in command else "auto"
        reference, trained = start_reference(scratch / "reference", children)
        person_model = wait_tierzero(supervisor, settings, timeout=300)
        tierzero = TierZero(
            f"http://127.0.0.1:{settings.api_port}",
            f"ws://127.0.0.1:{settings.api_port}/v1/widget/ws",
        )
        warmed = time.monotonic()
        run_id = uuid.uuid4().hex[:8]
        tz = tierzero

        # warm-up: untimed, each path in its own conversation
        reference.set_path(f"warm-reference-{run_id}", "reference")
        reference.set_path(f"warm-floor-{run_id}", "floor")
        tz.new_conversation()
        for text in warm[:warmup]:
            reference.turn(f"warm-reference-{run_id}", text)
            tz.turn(text, timed=False)
            reference.turn(f"warm-floor-{run_id}", text)
        tz.new_conversation()
        started_measuring = time.monotonic()
        server_before = tz.server_timings()

        times: dict[str, list[float]] = {p: [] for p in PATHS}
        first: dict[str, list[float]] = {p: [] for p in PATHS}  # a conversation's first turn
        later: dict[str, list[float]] = {p: [] for p in PATHS}
        errors: Counter[str] = Counter()
        first_error: dict[str, str] = {}
        sender = {"reference": "", "floor": ""}
        for i, text in enumerate(asked):
            if i % per_conversation == 0:
                for path in ("reference", "floor"):
                    sender[path] = f"{path}-{run_id}-{i // per_conversation}"
                    reference.set_path(sender[path], path)
                if i:
                    tz.new_conversation()
            order = PATHS[i % 3 :] + PATHS[: i % 3]
            for path in order:
                try:
                    if path == "tierzero":
                        elapsed = tz.turn(text, timed=True)
                    else:
                        elapsed = reference.turn(sender[path], text)
                except Exception as exc:  # a failed turn is counted, and the run goes on
                    errors[path] += 1
                    first_error.setdefault(path, f"{type(exc).__name__}: {exc}"[:300])
                    if path == "tierzero":
                        tz.close()  # a fresh conversation for the next question
                    continue
                times[path].append(elapsed)
                (first if i % per_conversation == 0 else later)[path].append(elapsed)
        measured = time.monotonic() - started_measuring
        server_after = tz.server_timings()
        checks = {
            "reference_actions": reference.actions_run(sender["reference"]),
            "floor_actions": reference.actions_run(sender["floor"]),
        }
        result: dict[str, Any] = {p: summary(times[p], errors[p]) for p in PATHS}
        ref_p50, ref_p99 = result["reference"]["p50"], result["reference"]["p99"]
        tz_p50, tz_p99 = result["tierzero"]["p50"], result["tierzero"]["p99"]
        floor_p50 = result["floor"]["p50"]
        result.update(
            ratio_p50=round(tz_p50 / ref_p50, 2) if tz_p50 and ref_p50 else None,
            ratio_p99=round(tz_p99 / ref_p99, 2) if tz_p99 and ref_p99 else None,
            reference_over_floor_p50=round(ref_p50 / floor_p50, 2)
            if ref_p50 and floor_p50
            else None,
            first_turns={p: summary(first[p], 0) for p in PATHS},
            later_turns={p: summary(later[p], 0) for p in PATHS},
            tierzero_detail={
                "send_to_ack": summary(tz.ack_ms, 0),
                "server_means_ms": server_means(server_before, server_after),
                "reply_kinds": dict(tz.kinds),
                "handoffs": tz.handoffs,
                "person_model": person_model,
                "kb_dense": settings.kb_dense,
                "kb_dense_en": settings.kb_dense_en,
                "uvicorn_ws": api_ws,  # the api's WebSocket implementation
            },
            checks=checks,
            first_errors=first_error,
            environment={
                **env,
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            },
            parameters={
                "questions": len(asked),
                "distinct_questions": len(set(asked)),
                "phrasing": phrasing,
                "left_out_person_requests": left_out,
                "per_conversation": per_conversation,
                "warmup": warmup,
                "seed": seed,
                "turn_timeout_s": TURN_TIMEOUT,
                "order": "per question, rotating reference/tierzero/floor",
            },
            seconds={
                "reference_training": round(trained, 1) if trained is not None else "cached",
                "startup": round(warmed - began, 1),
                "measuring": round(measured, 1),
                "total": round(time.monotonic() - began, 1),
            },
        )
        return result
    finally:
        if tierzero is not None:
            tierzero.close()
        if reference is not None:
            reference.client.close()
        if supervisor is not None:
            supervisor.stop()
        children.stop()
        if keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chat_latency", description=__doc__)
    parser.add_argument("--questions", type=int, default=240)
    parser.add_argument("--per-conversation", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5, help="untimed turns per path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs)")
    parser.add_argument("--json", action="store_true", help="compact JSON on stdout")
    parser.add_argument(
        "--phrasing", choices=("new", "kb"), default="new",
        help="new: each question in a wording of its own (the encode is paid, as with customers);"
        " kb: as the KB writes them (their embeddings are cached)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the finally blocks stop every child

    signal.signal(signal.SIGTERM, stop)
    try:
        result = run(
            args.questions, max(1, args.per_conversation), max(0, min(args.warmup, 10)),
            args.seed, args.keep, args.phrasing,
        )  # fmt: skip
    except KeyboardInterrupt:
        print("chat_latency: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    print(json.dumps(result, indent=None if args.json else 2))
    ref, tz, floor = result["reference"], result["tierzero"], result["floor"]
    print(
        f"chat_latency n={tz['n']} reference p50/p99={ref['p50']}/{ref['p99']}ms "
        f"tierzero p50/p99={tz['p50']}/{tz['p99']}ms floor p50/p99={floor['p50']}/{floor['p99']}ms "
        f"ratio p50={result['ratio_p50']} p99={result['ratio_p99']} "
        f"errors={ref['errors']}/{tz['errors']}/{floor['errors']} "
        f"total={result['seconds']['total']}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
