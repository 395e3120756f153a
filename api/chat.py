"""The customer chat flow: store the message, ack it, let the bot answer or route to the ticket.

Database work runs in worker threads and never spans a call to Rasa (Rasa calls back into this
api for its actions, which need the database).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from api.frames import message_frame
from api.rasa import BotUnavailable
from api.state import AppState
from handoff import service as handoff_service
from handoff.models import Message
from tierzero.db import after_commit, unit_of_work

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
    language: str | None
    language_changed: bool


def _detect_language(text: str) -> str | None:
    try:
        from kb.text import detect_language
    except ImportError:  # pragma: no cover - engine not installed
        return None
    try:
        return detect_language(text)
    except Exception:
        return None


class ChatFlow:
    def __init__(self, state: AppState) -> None:
        self._state = state
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, conversation_id: int) -> asyncio.Lock:
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    def _publish_after_commit(self, session: Any, message: Message) -> None:
        frame = message_frame(message)
        hub = self._state.hub
        after_commit(session, lambda: hub.publish(message.conversation_id, frame))

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
                self._publish_after_commit(session, received.message)
            return Stored(
                seq=received.message.seq,
                created=received.created,
                bot_mode=conversation.mode == "bot",
                language=conversation.language,
                # the bot learns the language on the first message and whenever it changes
                language_changed=received.created
                and (changed or (received.message.seq == 1 and conversation.language is not None)),
            )

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
                    session,
                    conversation_id=conversation_id,
                    sender=sender,
                    text=text,
                    payload=payload,
                )
                self._publish_after_commit(session, message)

    async def receive(
        self, conversation_id: int, client_msg_id: str, text: str, intent: str | None = None
    ) -> Stored:
        """Store (idempotently) and return what the ack needs; the bot turn follows separately."""
        return await to_thread.run_sync(
            self._store_customer_message, conversation_id, client_msg_id, text, intent
        )

    async def bot_turn(self, conversation_id: int, text: str, stored: Stored) -> None:
        rasa = self._state.rasa
        sender_id = f"tz-conversation-{conversation_id}"
        async with self._lock(conversation_id):
            try:
                if stored.language_changed and stored.language:
                    await rasa.set_slot(sender_id, "language", stored.language)
                outputs = await rasa.send(sender_id, text)
            except BotUnavailable:
                language = stored.language or "en"
                outputs = [{"custom": {"kind": "error", "text": UNAVAILABLE[language]}}]
                await to_thread.run_sync(
                    self._store_bot_replies, conversation_id, outputs, "system"
                )
                return
            await to_thread.run_sync(self._store_bot_replies, conversation_id, outputs)
