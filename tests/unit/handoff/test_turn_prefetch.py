"""A customer message's embedding starts computing as the message arrives, and the bot turn does
not wait for it: Rasa reads the message while the encode runs, and the KB action (with the
person-request second opinion) picks the vector up; the language travels with the message."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from handoff import conversations
from handoff.flows import ConversationFlow
from tierzero.db import make_session_factory, unit_of_work
from tierzero.hub import NullHub

QUESTION = "how do I reset my password?"


class RecordingBot:
    def __init__(self, reply: dict[str, Any] | None = None) -> None:
        self.sent: list[tuple[str, dict[str, Any] | None]] = []
        self.reply = reply or {"text": "Here is how."}

    async def send(
        self, sender_id: str, text: str, *, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.sent.append((text, metadata))
        return [self.reply]


async def test_the_encode_starts_with_the_store_and_the_turn_does_not_wait_for_it(
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

    flow.prefetch = prefetch
    started = time.monotonic()
    stored = await flow.receive(conversation_id, "m-1", QUESTION)
    await flow.bot_turn(conversation_id, stored)
    # stored, acknowledged and sent to the bot while the encode was still running
    assert time.monotonic() - started < 4
    assert events == [f"warming {QUESTION}"]
    assert bot.sent == [(QUESTION, {"language": "en"})]
    release.set()


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


@pytest.mark.parametrize(
    ("reply", "flagged", "sent"),
    [
        # Rasa took it for small talk: the learned model is asked after the turn, and wins
        ({"custom": {"key": "default"}}, True, [QUESTION, "/request_human"]),
        ({"custom": {"key": "default"}}, False, [QUESTION]),
        # the KB action answered: it asked the model itself, the flow does not ask again
        ({"custom": {"kind": "answer", "text": "Here is how."}}, True, [QUESTION]),
    ],
)
async def test_a_person_request_rasa_took_for_small_talk_still_gets_a_person(
    engine: Engine, reply: dict[str, Any], flagged: bool, sent: list[str]
) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        conversation_id = conversations.start_conversation(session, language="en").id
    bot = RecordingBot(reply)
    flow = ConversationFlow(factory, NullHub(), bot, max_chars=4000, sender_key="k" * 32)
    asked: list[str] = []

    def second_opinion(text: str) -> bool:
        asked.append(text)
        return flagged

    flow.second_opinion = second_opinion
    stored = await flow.receive(conversation_id, "m-3", QUESTION)
    await flow.bot_turn(conversation_id, stored)
    assert [text for text, _ in bot.sent] == sent
    assert asked == ([] if reply["custom"].get("kind") else [QUESTION])
