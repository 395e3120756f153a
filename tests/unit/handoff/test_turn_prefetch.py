"""A customer message's embedding is computed while the message is stored, so the bot turn that
follows (the person-request second opinion, then the KB search inside Rasa's action) finds it
ready; and the language travels with the message to the bot."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.engine import Engine

from handoff import conversations
from handoff.flows import ConversationFlow
from tierzero.db import make_session_factory, unit_of_work
from tierzero.hub import NullHub

QUESTION = "how do I reset my password?"


class RecordingBot:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any] | None]] = []

    async def send(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.sent.append((text, metadata))
        return [{"text": "Here is how."}]


async def test_the_embedding_is_warmed_during_the_store_and_awaited_by_the_turn(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        conversation_id = conversations.start_conversation(session, language="en").id
    bot = RecordingBot()
    flow = ConversationFlow(factory, NullHub(), bot, max_chars=4000, sender_key="k" * 32)
    events: list[str] = []
    release = threading.Event()

    def prefetch(text: str) -> None:
        events.append(f"warming {text}")
        release.wait(5)  # a slow encode: held until the test lets it finish
        events.append("warm")

    def second_opinion(text: str) -> bool:
        events.append("second opinion")
        return False

    flow.prefetch, flow.second_opinion = prefetch, second_opinion
    started = time.monotonic()
    stored = await flow.receive(conversation_id, "m-1", QUESTION)
    # stored (and acknowledged) without waiting for the encode
    assert stored.created and time.monotonic() - started < 4
    assert events == [f"warming {QUESTION}"]
    threading.Timer(0.2, release.set).start()
    await flow.bot_turn(conversation_id, stored)
    # the turn waited for the warm vector before the second opinion read it
    assert events == [f"warming {QUESTION}", "warm", "second opinion"]
    assert bot.sent == [(QUESTION, {"language": "en"})]


async def test_a_failed_warm_up_does_not_stop_the_turn(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        conversation_id = conversations.start_conversation(session, language="en").id
    bot = RecordingBot()
    flow = ConversationFlow(factory, NullHub(), bot, max_chars=4000, sender_key="k" * 32)

    def broken(text: str) -> None:
        raise RuntimeError("model not loaded")

    flow.prefetch = broken
    stored = await flow.receive(conversation_id, "m-2", QUESTION)
    await flow.bot_turn(conversation_id, stored)
    assert [text for text, _ in bot.sent] == [QUESTION]
