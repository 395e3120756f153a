"""`tierzero run` as a user runs it: serves after start-up and stops both children on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database, redis_for_tests
from tests.stack import free_port
from tierzero.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _run_env(var_dir: Path, api_port: int, rasa_port: int) -> dict[str, str]:
    """`tierzero run`'s environment in a test: its own var/ and ports, the trained model and the
    embedding cache of the checkout."""
    return {
        **os.environ,
        "TIERZERO_VAR_DIR": str(var_dir),
        "TIERZERO_API_PORT": str(api_port),
        "TIERZERO_RASA_PORT": str(rasa_port),
        "TIERZERO_RASA_MODEL_DIR": str(PROJECT_ROOT / "var" / "models"),
        "TIERZERO_KB_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache" / "kb"),
    }


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_serves_and_stops_both_processes(tmp_path: Path, stop_signal: int) -> None:
    api_port, rasa_port = free_port(), free_port()
    env = _run_env(tmp_path, api_port, rasa_port)
    env.pop("TIERZERO_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tierzero.cli.main", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "press Ctrl-C to stop" in line:
                break
        text = "".join(output)
        assert "TierZero is ready" in text, text
        assert f"http://127.0.0.1:{api_port}/docs" in text
        assert httpx.get(f"http://127.0.0.1:{api_port}/readyz").status_code == 200
        accounts = (tmp_path / "demo-accounts.txt").read_text().splitlines()
        roles = {line.split("\t")[2] for line in accounts if not line.startswith("#")}
        assert roles == {"agent", "lead", "editor", "admin"}  # one login per role

        process.send_signal(stop_signal)
        rest, _ = process.communicate(timeout=60)
        assert "stopped" in rest
        assert not _port_open(api_port) and not _port_open(rasa_port)
    finally:
        if process.poll() is None:
            process.kill()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_several_workers_need_postgresql_and_redis(tmp_path: Path) -> None:
    env = {**os.environ, "TIERZERO_VAR_DIR": str(tmp_path)}
    env.pop("TIERZERO_DATABASE_URL", None)
    env.pop("TIERZERO_REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tierzero.cli.main", "run", "--workers", "2", "--no-train"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "need PostgreSQL and Redis" in result.stdout + result.stderr
    assert not (tmp_path / "tierzero.db").exists()  # refused before touching anything


@pytest.mark.skipif(
    not os.environ.get("TIERZERO_TEST_DATABASE_URL") or redis_for_tests() is None,
    reason="needs PostgreSQL and Redis",
)
def test_run_starts_the_scale_out_topology(tmp_path: Path) -> None:
    """`tierzero run --workers 2 --rasa-instances 2` on PostgreSQL + Redis: two api worker
    processes behind one port, two Rasa servers, all stopped by one Ctrl-C."""
    api_port, rasa_port = free_port(), free_port()
    redis_url = redis_for_tests()
    assert redis_url is not None
    with fresh_database("postgresql", tmp_path) as database_url:
        env = {
            **_run_env(tmp_path, api_port, rasa_port),
            "TIERZERO_DATABASE_URL": database_url,
            "TIERZERO_REDIS_URL": redis_url,
            "TIERZERO_REDIS_NAMESPACE": f"run-{api_port}",
        }
        command = [sys.executable, "-m", "tierzero.cli.main", "run", "--no-train",
                   "--workers", "2", "--rasa-instances", "2"]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            output = []
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and (line := process.stdout.readline()):
                output.append(line)
                if "press Ctrl-C to stop" in line:
                    break
            assert "TierZero is ready" in "".join(output), "".join(output)
            ready = httpx.get(f"http://127.0.0.1:{api_port}/readyz", timeout=10).json()
            assert ready["status"] == "ready" and ready["redis"] == "ok"
            (manager,) = [
                pid
                for pid in _children(process.pid)
                if "uvicorn" in Path(f"/proc/{pid}/cmdline").read_text()
            ]
            assert len(_children(manager)) >= 2  # the worker processes
            # any worker's /metrics counts the requests every worker served
            for _ in range(12):
                httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=5)
            metrics = httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=10).text
            served = next(
                float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                if line.startswith("tierzero_http_request_seconds_count")
                and 'route="/healthz"' in line
            )  # fmt: skip
            assert served == 12
            for port in (rasa_port, rasa_port + 1):
                assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
            for port in (api_port, rasa_port, rasa_port + 1):
                assert not _port_open(port)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
