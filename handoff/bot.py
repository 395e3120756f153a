"""The bot behind the conversation flow: a small interface, and its Rasa implementation (TierZero's
token-checked REST channel, ``bot/channel.py``, and the token-protected HTTP API of the Rasa
server, both on loopback only).

The sender id always comes from the stored conversation (``handoff.models.rasa_sender_id``), never
from the client.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import httpx

from tierzero.errors import ServiceUnavailable

log = logging.getLogger("tierzero.rasa")


class BotUnavailable(ServiceUnavailable):
    pass


class Bot(Protocol):
    async def send(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...

    async def set_slot(self, sender_id: str, name: str, value: Any) -> None: ...


class RasaClient:
    def __init__(self, base_url: str, *, token: str, timeout: float) -> None:
        self._base_url = base_url
        self._token = token
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One customer turn; returns the bot's messages as Rasa's REST channel gives them."""
        try:
            response = await self._client.post(
                "/webhooks/tierzero/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata or {}},
                headers={"Authorization": f"Bearer {self._token}"},
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("rasa turn failed: %s", exc)
            raise BotUnavailable("the assistant is not answering") from exc
        data = response.json()
        return data if isinstance(data, list) else []

    async def set_slot(self, sender_id: str, name: str, value: Any) -> None:
        # Rasa stamps an appended event when it parses the request, before it starts the
        # conversation's session; its SQL tracker store then drops events older than the session
        # start, so the slot would be lost on a new conversation. A stamp just ahead avoids that
        # (events are replayed in insertion order, so the slot still precedes the next message).
        event = {"event": "slot", "name": name, "value": value, "timestamp": time.time() + 1.0}
        try:
            response = await self._client.post(
                f"/conversations/{sender_id}/tracker/events",
                params={"token": self._token, "include_events": "NONE"},
                json=event,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise BotUnavailable("the assistant is not answering") from exc

    async def healthy(self) -> bool:
        try:
            response = await self._client.get("/status", params={"token": self._token}, timeout=2)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False
