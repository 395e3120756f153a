"""A test agent: the agent API and the agent WebSocket over real connections (no browser)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.widget_client import next_matching


class AgentClient:
    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        response = self.http.post("/v1/agent/login", json={"email": email, "password": password})
        response.raise_for_status()
        body = response.json()
        self.token: str = body["access_token"]
        self.agent: dict[str, Any] = body["agent"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.frames: list[dict[str, Any]] = []
        self.socket: ClientConnection | None = None

    @property
    def id(self) -> int:
        return int(self.agent["id"])

    def connect(self) -> dict[str, Any]:
        ws_base = str(self.http.base_url).replace("http://", "ws://").rstrip("/")
        self.socket = connect(f"{ws_base}/v1/agent/ws", open_timeout=10)
        self.socket.send(json.dumps({"type": "auth", "token": self.token}))
        return self.wait_for(lambda f: f["type"] == "hello")

    def send(self, frame: dict[str, Any]) -> None:
        assert self.socket is not None
        self.socket.send(json.dumps(frame))

    def receive(self, timeout: float) -> dict[str, Any] | None:
        assert self.socket is not None
        try:
            frame: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
        except TimeoutError:
            return None
        self.frames.append(frame)
        return frame

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        for frame in self.frames:
            if predicate(frame):
                self.frames.remove(frame)
                return frame
        found = next_matching(self.receive, predicate, timeout, self.frames)
        self.frames.remove(found)
        return found

    def presence(self, value: str) -> None:
        self.http.put("/v1/agent/me/presence", json={"presence": value}).raise_for_status()

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, json=body)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        self.http.close()
