"""The bot behind the conversation flow: a small interface, and its Rasa implementation (TierZero's
token-checked REST channel, ``bot/channel.py``, and the token-protected HTTP API of the Rasa
server, both on loopback only).

The sender id always comes from the stored conversation (``handoff.models.rasa_sender_id``), never
from the client.
"""

from __future__ import annotations

import itertools
import logging
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


class RasaClient:
    """One or several Rasa servers (sharing a tracker store and a Redis lock store): turns go
    round the servers, and a server that refuses the connection is skipped (the turn never
    reached it, so sending it to the next cannot run it twice)."""

    def __init__(self, base_urls: str | list[str], *, token: str, timeout: float) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self._token = token
        self._clients = [httpx.AsyncClient(base_url=url, timeout=timeout) for url in urls]
        self._turns = itertools.count()

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()

    async def _post(self, path: str, **request: Any) -> httpx.Response:
        start = next(self._turns) % len(self._clients)
        refused: httpx.ConnectError | None = None
        for client in self._clients[start:] + self._clients[:start]:
            try:
                response = await client.post(path, **request)
                response.raise_for_status()
                return response
            except httpx.ConnectError as exc:
                refused = exc
            except httpx.HTTPError as exc:
                log.warning("rasa call failed: %s", exc)
                raise BotUnavailable("the assistant is not answering") from exc
        log.warning("no rasa server accepted the call: %s", refused)
        raise BotUnavailable("the assistant is not answering") from refused

    async def send(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One customer turn; returns the bot's messages as Rasa's REST channel gives them."""
        response = await self._post(
            "/webhooks/tierzero/webhook",
            json={"sender": sender_id, "message": text, "metadata": metadata or {}},
            headers={"Authorization": f"Bearer {self._token}"},
        )
        data = response.json()
        return data if isinstance(data, list) else []

    async def healthy(self) -> bool:
        """At least one server is up with a model (the others' turns fail over to it)."""
        for client in self._clients:
            try:
                response = await client.get("/status", params={"token": self._token}, timeout=2)
                if response.status_code == 200 and bool(response.json().get("model_file")):
                    return True
            except (httpx.HTTPError, ValueError):
                continue
        return False
