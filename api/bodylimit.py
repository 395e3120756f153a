"""A ceiling on every HTTP request body, before any route reads it.

Without it, an anonymous ``POST /v1/widget/sessions`` with a 10 MB body was read whole into
memory. A declared ``Content-Length`` above the limit is answered 413 at once; a body sent
without one (chunked) is counted as it arrives and cut off with the same 413 when it passes the
limit. Routes that take files (the KB import) have their own, larger ceiling.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a body passes the limit. An HTTPException, so FastAPI's body
    parsing lets it through as it is (anything else it reports as a 400 "error parsing the
    body"); the error handler answers it like the declared-length refusal."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


def too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": "PayloadTooLarge", "detail": too_large(limit)}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
