"""Start Rasa and the api as child processes, wait until both are healthy, stop both cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kb.search.dense import OPENMP_ENV
from tierzero.cli import rasa_files
from tierzero.errors import TierZeroError
from tierzero.settings import PROJECT_ROOT, Settings


class StartupFailed(TierZeroError):
    pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Supervisor:
    settings: Settings
    children: list[Child] = field(default_factory=list)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        log_path = self.settings.var_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def start_rasa(self, index: int = 0) -> Child:
        """Rasa server ``index`` (port ``rasa_port + index``; several share the tracker store
        and a Redis lock store)."""
        command = rasa_files.server_command(self.settings, self.settings.rasa_port + index)
        name = "rasa" if index == 0 else f"rasa-{index + 1}"
        return self._spawn(name, command, rasa_files.server_env(self.settings))

    def start_rasa_servers(self) -> list[Child]:
        return [self.start_rasa(i) for i in range(self.settings.rasa_instances)]

    def start_api(self, port: int | None = None, *, workers: int | None = None) -> Child:
        """The api: ``workers`` processes behind one port (uvicorn's process manager; the
        settings' ``workers`` by default), or one process on another ``port`` (tests start
        several that way, as a reverse proxy would see them)."""
        port = port or self.settings.api_port
        workers = workers or (self.settings.workers if port == self.settings.api_port else 1)
        # how the embedding model's OpenMP threads wait (kb.search.dense.OPENMP_ENV); it only takes
        # effect when set before any library loads OpenMP, so it goes in the environment
        env = {**OPENMP_ENV, **os.environ, **self.settings.as_env()}
        command = [
            sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
            "--host", self.settings.api_host, "--port", str(port),
            "--log-level", "warning", "--no-server-header",
            # wsproto answers every upgrade request; uvicorn's websockets implementations left
            # one with a URL over 8 kB unanswered and the connection held (docs/security.md)
            "--ws", "wsproto",
            # uvicorn's HTTP with a deadline for the request head (api/slowclients.py)
            "--http", "api.slowclients:HeadDeadline",
        ]  # fmt: skip
        if workers > 1:
            command += ["--workers", str(workers)]
            # one directory for prometheus-client's multiprocess mode: any worker's /metrics
            # adds up all of them (fresh each start: values of a previous run do not count)
            metrics_dir = self.settings.var_dir / "metrics" / str(port)
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        name = "api" if port == self.settings.api_port else f"api-{port}"
        return self._spawn(name, command, env)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until ``/readyz`` says ready. Behind one port several workers answer in turn and
        each loads its own index, so one 200 may come from the first worker ready: ask until
        ``3 × workers`` answers in a row (each on a new connection) are 200. A first start
        builds the KB index (minutes on a small machine): ``TIERZERO_START_TIMEOUT_SECONDS``."""
        timeout = self.settings.start_timeout_seconds if timeout is None else timeout
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.settings.api_port}/readyz"
        wanted = 3 * self.settings.workers if self.settings.workers > 1 else 1
        in_a_row = 0
        last = "no answer"
        while time.monotonic() < deadline:
            for child in self.children:
                if child.process.poll() is not None:
                    raise StartupFailed(
                        f"{child.name} exited with code {child.process.returncode}; "
                        f"log {child.log_path}:\n{child.tail()}"
                    )
            try:
                response = httpx.get(url, timeout=2)
                ok, last = response.status_code == 200, response.text[:300]
            except httpx.HTTPError:
                ok = False
            in_a_row = in_a_row + 1 if ok else 0
            if in_a_row >= wanted:
                return
            time.sleep(0.1 if ok else 0.5)
        raise StartupFailed(
            f"not ready after {timeout:.0f} s (TIERZERO_START_TIMEOUT_SECONDS); the last "
            f"/readyz said: {last}; see logs in {self.settings.var_dir}"
        )

    def wait(self) -> int:
        """Block until a child dies (or Ctrl-C); returns that child's exit code."""
        while True:
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    return code
            time.sleep(0.5)

    def stop(self, grace: float = 10.0) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.children.clear()
