"""The customer chat flow: store the message, ack it, let the bot answer or route to the ticket.

Database work runs in worker threads and never spans a call to Rasa (Rasa calls back into this
api for its actions, which need the database). Bot turns of one conversation run one at a time,
in arrival order, off the socket's read loop so acks keep flowing while the bot thinks.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from api.rasa import BotUnavailable
from api.state import AppState
from handoff import service as handoff_service
from handoff.models import rasa_sender_id
from tierzero.db import unit_of_work

log = logging.getLogger("tierzero.chat")

# Buttons may send these intents; anything else the client sends is treated as plain text.
ALLOWED_INTENT_PAYLOADS = frozenset({"/affirm", "/deny", "/request_human"})

UNAVAILABLE = {
    "en": "Our assistant is not available right now. Please try again in a moment.",
    "el": "Ο βοηθός μας δεν είναι διαθέσιμος αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο.",
    "ru": "Наш помощник сейчас недоступен. Попробуйте ещё раз через минуту.",
    "sr": "Naš asistent trenutno nije dostupan. Pokušajte ponovo za trenutak.",
}


@dataclass(frozen=True)
class Stored:
    seq: int
    created: bool
    bot_mode: bool
    text: str  # as stored (cleaned); what the bot gets
    intent: str | None
    language: str | None
    language_changed: bool


def _detect_language(text: str) -> str | None:
    from kb.text import detect_language

    try:
        return detect_language(text)
    except Exception:  # detection is a hint, never a failure
        log.exception("language detection failed")
        return None


def bot_text(stored: Stored) -> str:
    """Typed text never reaches Rasa as an intent command ("/restart"); only button payloads do."""
    return stored.intent or stored.text.lstrip("/").strip() or "?"


class ChatFlow:
    def __init__(self, state: AppState) -> None:
        self._state = state
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    @asynccontextmanager
    async def _turn(self, conversation_id: int) -> AsyncIterator[None]:
        """One bot turn at a time per conversation; the lock is dropped when nobody needs it."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id], self._locks[conversation_id]

    def _store_customer_message(
        self, conversation_id: int, client_msg_id: str, text: str, intent: str | None
    ) -> Stored:
        settings = self._state.settings
        with unit_of_work(self._state.session_factory) as session:
            received = handoff_service.receive_customer_message(
                session,
                conversation_id=conversation_id,
                client_msg_id=client_msg_id,
                text=text,
                max_chars=settings.max_message_chars,
            )
            conversation = handoff_service.get_conversation(session, conversation_id)
            changed = False
            if received.created:
                if intent:
                    received.message.payload = {"intent": intent}
                language = None if intent else _detect_language(received.message.text)
                if language and language != conversation.language:
                    handoff_service.set_conversation_language(session, conversation, language)
                    changed = True
                self._state.hub.publish_after_commit(session, received.message)
            first = received.message.seq == 1 and conversation.language is not None
            return Stored(
                seq=received.message.seq,
                created=received.created,
                bot_mode=conversation.mode == "bot",
                text=received.message.text,
                intent=intent,
                language=conversation.language,
                # the bot learns the language on the first message and whenever it changes
                language_changed=received.created and (changed or first),
            )

    def _in_bot_mode(self, conversation_id: int) -> bool:
        with unit_of_work(self._state.session_factory, read_only=True) as session:
            return handoff_service.get_conversation(session, conversation_id).mode == "bot"

    def _store_bot_replies(
        self, conversation_id: int, outputs: list[dict[str, Any]], sender: str = "bot"
    ) -> None:
        with unit_of_work(self._state.session_factory) as session:
            for output in outputs:
                custom = output.get("custom")
                if isinstance(custom, dict):
                    text = str(custom.get("text") or "")
                    payload = {k: v for k, v in custom.items() if k != "text"}
                else:
                    text = str(output.get("text") or "")
                    payload = {"buttons": output["buttons"]} if output.get("buttons") else {}
                if not text and not payload:
                    continue
                message = handoff_service.add_message(
                    session, conversation_id=conversation_id, sender=sender, text=text,
                    payload=payload,
                )  # fmt: skip
                self._state.hub.publish_after_commit(session, message)

    async def receive(
        self, conversation_id: int, client_msg_id: str, text: str, intent: str | None = None
    ) -> Stored:
        """Store (idempotently) and return what the ack needs; the bot turn follows separately."""
        return await to_thread.run_sync(
            self._store_customer_message, conversation_id, client_msg_id, text, intent
        )

    async def bot_turn(self, conversation_id: int, stored: Stored) -> None:
        rasa = self._state.rasa
        sender_id = rasa_sender_id(conversation_id)
        async with self._turn(conversation_id):
            # An earlier turn (another tab) may have handed off while this one waited.
            if not await to_thread.run_sync(self._in_bot_mode, conversation_id):
                return
            try:
                if stored.language_changed and stored.language:
                    await rasa.set_slot(sender_id, "language", stored.language)
                outputs = await rasa.send(sender_id, bot_text(stored))
            except BotUnavailable:
                text = UNAVAILABLE.get(stored.language or "en", UNAVAILABLE["en"])
                outputs = [{"custom": {"kind": "error", "text": text}}]
                await to_thread.run_sync(
                    self._store_bot_replies, conversation_id, outputs, "system"
                )
                return
            await to_thread.run_sync(self._store_bot_replies, conversation_id, outputs)
