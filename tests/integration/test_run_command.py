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

from tests.stack import free_port
from tierzero.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_serves_and_stops_both_processes(tmp_path: Path, stop_signal: int) -> None:
    api_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "TIERZERO_VAR_DIR": str(tmp_path),
        "TIERZERO_API_PORT": str(api_port),
        "TIERZERO_RASA_PORT": str(rasa_port),
        "TIERZERO_RASA_MODEL_DIR": str(PROJECT_ROOT / "var" / "models"),
        "TIERZERO_KB_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache" / "kb"),
    }
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
