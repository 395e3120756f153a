"""A test customer: the widget protocol over a real WebSocket (no browser)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


def open_session(base_url: str, language: str | None = None, **fields: Any) -> dict[str, Any]:
    """A new widget session; ``fields`` are more of its body (name, email, page_url, …)."""
    body = {"language": language, **fields}
    response = httpx.post(f"{base_url}/v1/widget/sessions", json=body, timeout=10)
    response.raise_for_status()
    session: dict[str, Any] = response.json()
    return session


def next_matching(
    receive: Any, predicate: Any, timeout: float, seen: list[dict[str, Any]]
) -> dict[str, Any]:
    """The next frame from ``receive`` that matches, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = receive(max(0.05, deadline - time.monotonic()))
        if frame is not None and predicate(frame):
            return dict(frame)
    raise AssertionError(f"no matching frame within {timeout} s; got {seen[-5:]}")


class Customer:
    def __init__(self, ws_url: str, token: str, since: int = 0) -> None:
        self.ws_url = ws_url
        self.token = token
        self.frames: list[dict[str, Any]] = []
        self.socket: ClientConnection = connect(
            f"{ws_url}?since={since}", open_timeout=10, max_size=2**22
        )
        self.socket.send(json.dumps({"type": "auth", "token": token}))  # never in the URL

    def close(self) -> None:
        self.socket.close()

    def send_raw(self, data: str) -> None:
        self.socket.send(data)

    def send(
        self, text: str, *, client_msg_id: str | None = None, payload: str | None = None
    ) -> str:
        msg_id = client_msg_id or uuid.uuid4().hex
        frame: dict[str, Any] = {"type": "message", "client_msg_id": msg_id, "text": text}
        if payload:
            frame["payload"] = payload
        self.socket.send(json.dumps(frame))
        return msg_id

    def receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            frame: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
        except TimeoutError:
            return None
        self.frames.append(frame)
        return frame

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        return next_matching(self.receive, predicate, timeout, self.frames)

    def ask(
        self, text: str, *, payload: str | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Send a message and return the first bot/system reply after it."""
        msg_id = self.send(text, payload=payload)
        ack = self.wait_for(lambda f: f["type"] == "ack" and f["client_msg_id"] == msg_id)
        return self.wait_for(
            lambda f: (
                f["type"] == "message"
                and f["sender"] in ("bot", "system")
                and f["seq"] > ack["seq"]
            ),
            timeout,
        )

    def drain(self, quiet: float = 1.5) -> list[dict[str, Any]]:
        """Frames that arrive until the socket stays quiet for ``quiet`` seconds."""
        got = []
        while (frame := self.receive(quiet)) is not None:
            got.append(frame)
        return got

    def close_code(self, timeout: float = 10.0) -> int | None:
        try:
            while True:
                self.socket.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            return None
