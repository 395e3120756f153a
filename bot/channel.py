"""TierZero's way into Rasa: the REST channel's protocol behind the api's internal token.

Rasa's stock REST channel (``/webhooks/rest/webhook``) answers anyone who reaches the port, so
any local process could post as any conversation and force a handoff or a restart in it. This
channel (``/webhooks/tierzero/webhook``) is the only one TierZero configures: a request without
``Authorization: Bearer <internal token>`` gets 401 before Rasa sees the message. Loaded by the
Rasa server from ``var/rasa/credentials.yml`` (written 0600 by ``tierzero run``); runs in Rasa's
own Python 3.10 environment.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)


class TierZeroInput(RestInput):
    """Rasa's REST channel, for callers holding the internal token only."""

    @classmethod
    def name(cls) -> str:
        return "tierzero"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        token = (credentials or {}).get("token")
        if not token:
            raise ValueError("the tierzero channel needs its token in credentials.yml")
        return cls(str(token))

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST protocol (``POST /webhook`` with sender, message, metadata → the bot's
        messages), with two differences: the token is checked first, and a turn that fails
        inside Rasa (an action, the tracker or lock store) answers 503 — Rasa's own channel
        answers 200 with no messages, and the customer would hear nothing."""
        # named and prefixed as Rasa's own channels are (Rasa mounts it at /webhooks/tierzero)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.middleware("request")
        async def authenticate(request: Request) -> HTTPResponse | None:
            supplied = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(supplied, self._expected):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            collector = CollectingOutputChannel()
            message = UserMessage(
                self._extract_message(request),
                collector,
                await self._extract_sender(request),
                input_channel=self.name(),
                metadata=self.get_metadata(request),
            )
            try:
                await on_new_message(message)
            except Exception:
                log.exception("bot turn failed for %s", message.sender_id)
                return response.json({"error": "the bot turn failed"}, status=503)
            return response.json(collector.messages)

        return webhook
