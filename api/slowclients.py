"""A deadline for the request head: uvicorn waits for headers as long as a client cares to send
them, so a hundred connections that trickle (or never send) a request line stay open forever
and hold file descriptors. This protocol — uvicorn's own httptools one, started with
``--http api.slowclients:HeadDeadline`` — closes a connection whose request line and headers are
not complete within ``TIERZERO_REQUEST_HEAD_SECONDS`` (10 s) of its first byte being awaited:
after the connection opens, and again whenever a keep-alive connection starts its next request.
Idle keep-alive connections are uvicorn's (5 s); a WebSocket, once upgraded, is not timed here.
"""

from __future__ import annotations

import asyncio
import logging
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("tierzero.api")

DEFAULT_HEAD_SECONDS = 10.0


def head_seconds() -> float:
    try:
        value = float(os.environ.get("TIERZERO_REQUEST_HEAD_SECONDS", DEFAULT_HEAD_SECONDS))
    except ValueError:
        return DEFAULT_HEAD_SECONDS
    return value if value > 0 else DEFAULT_HEAD_SECONDS


class HeadDeadline(HttpToolsProtocol):
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # the next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(head_seconds(), self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            log.info("closed a connection that sent no complete request head in time")
            self.transport.close()
