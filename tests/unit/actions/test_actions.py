"""The Rasa actions against the real services: CollectingDispatcher, trackers built from dicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import actions.runtime
from actions import ActionAnswerFromKb, ActionFeedback, ActionHandoff
from handoff import conversations, flows
from handoff import repository as repo
from handoff.models import Conversation, Ticket, rasa_sender_id
from kb import service as kb_service
from kb.search import KbIndex
from tierzero.db import make_session_factory, unit_of_work
from tierzero.hub import NullHub
from tierzero.settings import PROJECT_ROOT

DEMO_KB = PROJECT_ROOT / "kb" / "demo" / "articles.yaml"


@pytest.fixture(scope="module")
def runtime(engine: Engine) -> Iterator[actions.runtime.Runtime]:
    factory = make_session_factory(engine)
    index = KbIndex(dense=False)
    with unit_of_work(factory) as session:
        kb_service.import_file(session, DEMO_KB, author="tests")
    with unit_of_work(factory) as session:
        kb_service.load_index(session, index)
    runtime = actions.runtime.Runtime(factory, index)
    actions.runtime.configure(runtime)
    yield runtime
    actions.runtime.configure(None)


def conversation(runtime: actions.runtime.Runtime) -> int:
    with unit_of_work(runtime.session_factory) as session:
        return conversations.start_conversation(session, language="en").id


def tracker(conversation_id: int, text: str, intent: str, **slots: Any) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": rasa_sender_id(conversation_id, "actions-test-key"),
            "slots": {"language": "en", "pending": None, **slots},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def run(action: Any, track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, track, {})
    return events, [m["custom"] for m in dispatcher.messages]


def answered(
    runtime: actions.runtime.Runtime, track: Tracker, conversation_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The KB action's turn as the flow finishes it: its replies stored (with what they record)."""
    events, messages = run(ActionAnswerFromKb(), track)
    with unit_of_work(runtime.session_factory) as session:
        flows.store_bot_replies(
            session, NullHub(), conversation_id=conversation_id,
            outputs=[{"custom": m} for m in messages],
        )  # fmt: skip
    return events, messages


def slot(events: list[dict[str, Any]], name: str) -> Any:
    return next(e["value"] for e in events if e.get("event") == "slot" and e["name"] == name)


class TestAnswerFromKb:
    def test_confident_answer_carries_the_article_and_asks_for_feedback(self, runtime: Any) -> None:
        conv = conversation(runtime)
        track = tracker(conv, "how do I reset my password", "ask_question")
        events, messages = run(ActionAnswerFromKb(), track)
        assert slot(events, "pending") == "feedback"
        assert messages[0]["kind"] == "answer"
        assert "password-reset" in messages[0]["article"]["url"]
        assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
        with unit_of_work(runtime.session_factory) as session:
            # the action writes nothing: its reply says what to record
            stored = session.get(Conversation, conv)
            assert stored is not None and "last_answer" not in stored.context
        answered(runtime, track, conv)
        with unit_of_work(runtime.session_factory) as session:
            # recorded in the transaction that stored the reply, which does not carry it
            stored = session.get(Conversation, conv)
            assert stored is not None
            assert stored.context["last_answer"]["query"] == "how do I reset my password"
            reply = repo.messages_since(session, conv)[-1]
            assert reply.payload["kind"] == "answer" and flows.RECORD not in reply.payload

    def test_off_topic_question_offers_a_person(self, runtime: Any) -> None:
        conv = conversation(runtime)
        text = "what is the best recipe for chocolate cake with strawberries"
        events, messages = answered(runtime, tracker(conv, text, "ask_question"), conv)
        assert slot(events, "pending") == "handoff_offer"
        assert messages[0]["kind"] == "offer_person"
        with unit_of_work(runtime.session_factory) as session:
            stored = session.get(Conversation, conv)
            assert stored is not None and stored.context["low_confidence"] == text

    def test_answers_in_the_conversations_language(self, runtime: Any) -> None:
        """The api owns the language (sticky on short replies) and sets the slot; the action
        answers in it and sets no language itself."""
        conv = conversation(runtime)
        events, messages = run(
            ActionAnswerFromKb(),
            tracker(conv, "Как сбросить пароль от аккаунта?", "ask_question", language="ru"),
        )
        assert not [e for e in events if e.get("name") == "language"]
        assert messages[0]["article"]["language"] == "ru"
        assert messages[0]["article"]["version"] >= 1

    def test_the_learned_second_opinion_hands_off_instead_of_answering(
        self, runtime: actions.runtime.Runtime
    ) -> None:
        """The person-request model runs in the KB action, before the search: a message it
        hears as a request for a person gets the ticket, not the article Rasa's NLU led to."""
        heard: list[str] = []

        def second_opinion(text: str) -> bool:
            heard.append(text)
            return "colleague" in text

        actions.runtime.configure(replace(runtime, second_opinion=second_opinion))
        try:
            conv = conversation(runtime)
            text = "reset my password with a colleague of yours"
            events, messages = run(ActionAnswerFromKb(), tracker(conv, text, "ask_question"))
            assert heard == [text]
            assert messages[0]["kind"] == "handoff" and slot(events, "pending") is None
            with unit_of_work(runtime.session_factory) as session:
                ticket = repo.open_ticket_for_conversation(session, conv)
                assert ticket is not None
            # a message the model does not flag is answered as before
            events, messages = run(
                ActionAnswerFromKb(),
                tracker(conversation(runtime), "how do I reset my password", "ask_question"),
            )
            assert messages[0]["kind"] == "answer"
        finally:
            actions.runtime.configure(runtime)


class TestFeedbackAndHandoff:
    def test_no_offers_a_person_and_yes_hands_off_once(self, runtime: Any) -> None:
        conv = conversation(runtime)
        answered(runtime, tracker(conv, "how do I reset my password", "ask_question"), conv)
        events, messages = run(ActionFeedback(), tracker(conv, "No", "deny", pending="feedback"))
        assert slot(events, "pending") == "handoff_offer" and messages[0]["kind"] == "offer_person"

        first = run(ActionHandoff(), tracker(conv, "Yes", "affirm", pending="handoff_offer"))[1]
        with unit_of_work(runtime.session_factory) as session:
            # the customer's "you are in the queue" is committed with the ticket, before any
            # agent can take it (and the flow does not store it a second time)
            told = repo.messages_since(session, conv)
            assert told[-1].payload["kind"] == "handoff" and first[0]["stored"] is True
            flows.store_bot_replies(
                session, NullHub(), conversation_id=conv, outputs=[{"custom": first[0]}]
            )
            assert len(repo.messages_since(session, conv)) == len(told)
        retried = run(ActionHandoff(), tracker(conv, "Yes", "affirm", pending="handoff_offer"))[1]
        assert first[0]["ticket_id"] == retried[0]["ticket_id"]
        with unit_of_work(runtime.session_factory) as session:
            tickets = session.scalars(select(Ticket).where(Ticket.conversation_id == conv)).all()
            assert len(tickets) == 1
            assert tickets[0].handoff_reason == "unhelpful_answers"
            # attempts come from stored bot messages: the answer the flow stored
            attempts = tickets[0].bot_attempts
            assert [a["title"] for a in attempts] == ["Reset your password"], attempts

    def test_yes_is_recorded_as_helpful(self, runtime: Any) -> None:
        conv = conversation(runtime)
        answered(runtime, tracker(conv, "how do I reset my password", "ask_question"), conv)
        events, messages = run(ActionFeedback(), tracker(conv, "Yes", "affirm", pending="feedback"))
        assert slot(events, "pending") is None and messages[0]["kind"] == "text"

    @pytest.mark.parametrize("sender", ["someone-else", "tz-conversation-1", "tz-conversation-1-x"])
    def test_foreign_sender_creates_no_ticket(self, runtime: Any, sender: str) -> None:
        foreign = Tracker.from_dict(
            {
                "sender_id": sender,
                "slots": {},
                "latest_message": {"text": "agent"},
                "events": [],
            }
        )
        with unit_of_work(runtime.session_factory) as session:
            before = session.scalar(select(func.count()).select_from(Ticket))
        run(ActionHandoff(), foreign)
        with unit_of_work(runtime.session_factory) as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == before


def test_the_language_comes_with_the_message_and_the_slot_is_the_fallback() -> None:
    from actions.common import language_of

    told = tracker(1, "Γεια", "greet", language="en")
    told.latest_message["metadata"] = {"language": "el"}
    assert language_of(told) == "el"  # the api's metadata wins over an older slot
    assert language_of(tracker(1, "hi", "greet", language="ru")) == "ru"
    assert language_of(tracker(1, "hi", "greet", language=None)) == "en"
