"""What the widget and agent WebSockets share: close codes, the read/write pair, frame limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket, WebSocketDisconnect

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_UNSUPPORTED = 1003
CLOSE_TRY_AGAIN = 1013


async def run_pair(reader: Coroutine[Any, Any, None], writer: Coroutine[Any, Any, None]) -> None:
    """Run a socket's reader and writer until either ends (disconnect, close, overflow)."""
    tasks = {asyncio.create_task(reader), asyncio.create_task(writer)}
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending | done:
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await task


async def receive_text(websocket: WebSocket, max_bytes: int) -> str | None:
    """The next text frame; None after the socket was closed (disconnect, binary, too big)."""
    event = await websocket.receive()
    if event["type"] == "websocket.disconnect":
        return None
    raw = event.get("text")
    if raw is None:
        await websocket.close(code=CLOSE_UNSUPPORTED, reason="send JSON text frames")
        return None
    if len(raw.encode("utf-8", errors="replace")) > max_bytes:
        await websocket.close(code=CLOSE_TOO_BIG, reason=f"frame too large (max {max_bytes} bytes)")
        return None
    text: str = raw
    return text


CLOSE_FORBIDDEN_ORIGIN = 4403


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """May a browser page from the handshake's ``Origin`` open this socket? Its own origin (the
    api's host) always; others only when listed (``"*"``: any). A client that sends no Origin
    is not a browser, and an Origin check cannot stop it anyway (its token still must be valid).
    Stops another site's page from opening a socket in a logged-in agent's browser."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    parsed = urlsplit(origin)
    if parsed.netloc and parsed.netloc == websocket.headers.get("host"):
        return True
    return "*" in allowed or origin.rstrip("/") in {a.rstrip("/") for a in allowed}


#: How long a new socket may take to send its ``auth`` frame.
AUTH_SECONDS = 10.0


async def first_frame_token(websocket: WebSocket, max_bytes: int) -> str | None:
    """The bearer token from the socket's first frame, ``{"type": "auth", "token": "…"}``.

    Tokens never travel in the URL (reverse proxies and access logs keep URLs). ``None`` when
    the socket was closed instead: 4401 for anything but an auth frame within ``AUTH_SECONDS``.
    """
    try:
        raw = await asyncio.wait_for(receive_text(websocket, max_bytes), AUTH_SECONDS)
    except TimeoutError:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="send the auth frame first")
        return None
    if raw is None:
        return None
    try:
        frame = parse_frame(raw)
    except BadFrame:
        frame = None
    token = frame.get("token") if isinstance(frame, dict) and frame.get("type") == "auth" else None
    if not isinstance(token, str) or not token:
        await websocket.close(
            code=CLOSE_UNAUTHORIZED, reason='first send {"type": "auth", "token": …}'
        )
        return None
    return token


async def open_socket(websocket: WebSocket, origins: list[str], max_bytes: int) -> str | None:
    """What both sockets do first: refuse another site's page (before accept: an HTTP 403),
    accept, and read the token from the first frame. ``None`` when the socket was refused or
    closed (the caller just returns)."""
    if not origin_allowed(websocket, origins):
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return None
    await websocket.accept()
    return await first_frame_token(websocket, max_bytes)


class BadFrame(ValueError):
    """A text frame that is not JSON the server can read (the message says why)."""


def parse_frame(raw: str) -> Any:
    """The frame's JSON; ``BadFrame`` for text that is not JSON or nests so deeply the parser
    gives up (a RecursionError that would otherwise drop the socket without a close frame)."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadFrame("frame is not valid JSON") from exc
    except RecursionError as exc:
        raise BadFrame("frame is nested too deeply") from exc
