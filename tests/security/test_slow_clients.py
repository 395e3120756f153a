"""Slow and idle connections do not stay open: the api's HTTP protocol (api/slowclients.py, what
`tierzero run` starts uvicorn with) closes a connection whose request head is not complete in
time — a hundred of them at once, while a normal client is served next to them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.stack import free_port, wait_until
from tierzero.settings import PROJECT_ROOT

HEAD_SECONDS = 1.0


async def tiny_app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """Anyone: a plain 200 (the protocol, not the app, is under test)."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.security.test_slow_clients:tiny_app",
         "--port", str(port), "--http", "api.slowclients:HeadDeadline", "--log-level", "warning",
         "--limit-max-requests", "100000"],
        cwd=PROJECT_ROOT, env={**os.environ, "TIERZERO_REQUEST_HEAD_SECONDS": str(HEAD_SECONDS)},
    )  # fmt: skip
    try:
        wait_until(lambda: _answers(port), timeout=30)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _closed_by_server(sock: socket.socket) -> bool:
    """Has the server closed it? (what it sent before closing, e.g. the rest of a response
    that arrived in two pieces, is read past)"""
    sock.settimeout(0.05)
    try:
        while sock.recv(1024):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:  # reset
        return True


def test_a_hundred_slow_or_silent_connections_are_closed_and_others_served(server: int) -> None:
    silent = [socket.create_connection(("127.0.0.1", server)) for _ in range(50)]
    trickling = [socket.create_connection(("127.0.0.1", server)) for _ in range(50)]
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    try:
        started = time.monotonic()
        position = 0
        while time.monotonic() - started < 3 * HEAD_SECONDS and position < len(head):
            for sock in trickling:
                with contextlib.suppress(OSError):  # closed already: that is the point
                    sock.send(head[position : position + 1])
            position += 1
            # a normal client is served meanwhile
            assert httpx.get(f"http://127.0.0.1:{server}/", timeout=5).status_code == 200
            time.sleep(0.1)
        closed = [_closed_by_server(s) for s in silent + trickling]
        assert all(closed), f"{closed.count(False)} connections still open"
    finally:
        for sock in silent + trickling:
            sock.close()


def test_a_head_sent_in_time_is_answered_even_in_pieces(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for piece in (b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            sock.send(piece)
            time.sleep(HEAD_SECONDS / 4)
        sock.settimeout(5)
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")


def test_the_next_request_on_a_kept_alive_connection_has_its_own_deadline(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        sock.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        sock.send(b"GET / HTTP/1.1\r\nHo")  # and then nothing more
        time.sleep(HEAD_SECONDS * 2)
        assert _closed_by_server(sock)
