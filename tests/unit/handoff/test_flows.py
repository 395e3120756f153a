"""The channel-independent conversation flow on a real database (no bot process needed)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from handoff import flows, tickets
from handoff.lifecycle import HandoffReason
from handoff.models import Conversation, Message
from tests.unit.handoff.builders import HUB, make_agent, make_conversation


def receive(session: Session, conversation: Conversation, text: str, msg_id: str | None = None,
            intent: str | None = None) -> flows.Stored:  # fmt: skip
    return flows.receive_customer_message(
        session, HUB, conversation_id=conversation.id, client_msg_id=msg_id or uuid.uuid4().hex,
        text=text, max_chars=4000, intent=intent,
    )  # fmt: skip


class TestReceive:
    def test_a_request_for_a_person_becomes_the_handoff_intent(self, session: Session) -> None:
        conversation = make_conversation(session, language=None)
        stored = receive(session, conversation, "позовите специалиста, пожалуйста")
        assert stored.intent == "/request_human" and stored.bot_mode
        assert flows.bot_text(stored) == "/request_human"
        again = receive(session, conversation, "whatever", msg_id="same")
        retry = receive(session, conversation, "whatever (retried)", msg_id="same")
        assert (retry.seq, retry.created) == (again.seq, False)

    def test_typed_commands_never_reach_the_bot_as_intents(self, session: Session) -> None:
        conversation = make_conversation(session)
        stored = receive(session, conversation, "/restart")
        assert stored.intent is None and flows.bot_text(stored) == "restart"
        forged = receive(session, conversation, "hi", intent="/restart")
        assert forged.intent is None

    def test_the_language_follows_the_customer_and_a_short_reply_keeps_it(
        self, session: Session
    ) -> None:
        conversation = make_conversation(session, language=None)
        assert receive(session, conversation, "Как сбросить пароль?").language == "ru"
        assert receive(session, conversation, "да").language == "ru"
        switch = receive(session, conversation, "How do I change my billing address?")
        assert switch.language == "en"

    def test_serbian_script_follows_the_customer(self, session: Session) -> None:
        conversation = make_conversation(session, language=None)
        receive(session, conversation, "Како да променим лозинку?")
        assert (conversation.language, conversation.script) == ("sr", "Cyrl")
        receive(session, conversation, "ne")
        assert conversation.script == "Latn"

    def test_in_human_mode_messages_go_to_the_ticket(self, session: Session) -> None:
        conversation = make_conversation(session)
        receive(session, conversation, "my router blinks red")
        ticket = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
        ).ticket
        agent = make_agent(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.wait_on_customer(session, HUB, agent=agent, ticket_id=ticket.id,
                                 expected_version=None)  # fmt: skip
        stored = receive(session, conversation, "agent, it still blinks")
        assert not stored.bot_mode and stored.intent is None  # no handoff intent to a person
        assert ticket.status == "assigned"  # waiting on the customer → back with its agent


class TestBotReplies:
    def test_catalogue_keys_and_answers_are_rendered_in_the_customers_script(
        self, session: Session
    ) -> None:
        conversation = make_conversation(session, language=None)
        receive(session, conversation, "Како да променим лозинку?")
        flows.store_bot_replies(
            session, HUB, conversation_id=conversation.id,
            outputs=[
                {"custom": {"kind": "text", "key": "greet"}},
                {"custom": {"kind": "answer", "text": "Otvorite Podešavanja → Lozinka.",
                            "article": {"id": 1, "language": "sr"},
                            "buttons": [{"title": "Da", "payload": "/affirm"}]}},
                {"custom": {"kind": "answer", "text": "Open Settings.",
                            "article": {"id": 2, "language": "en"}}},
            ],
        )  # fmt: skip
        texts = [
            m.text
            for m in session.query(Message)
            .filter(Message.conversation_id == conversation.id, Message.sender == "bot")
            .order_by(Message.seq)
        ]
        assert texts[0].startswith("Здраво!")
        assert texts[1] == "Отворите Подешавања → Лозинка."
        assert texts[2] == "Open Settings."  # an English fallback article stays English


class TestHandoffReasonAndPriority:
    @pytest.mark.parametrize(
        "text,urgent",
        [
            ("my internet is down and it's urgent", True),
            ("СРОЧНО: не работает оплата", True),
            ("хитно ми треба приступ налогу", True),
            ("είναι επείγον, δεν έχω ίντερνετ", True),
            ("not urgent, whenever you have time", False),
            ("can I change my plan next month?", False),
        ],
    )
    def test_urgency_raises_priority(self, session: Session, text: str, urgent: bool) -> None:
        conversation = make_conversation(session, language=None)
        receive(session, conversation, text)
        flows.record_unanswered(session, conversation_id=conversation.id, query=text)
        result = flows.hand_off_from_bot(session, HUB, conversation_id=conversation.id,
                                         intent=None)  # fmt: skip
        assert (result.ticket.priority == "high") is urgent
        assert result.ticket.handoff_reason == ("urgent" if urgent else "low_confidence")

    def test_nothing_in_the_kb_is_missing_knowledge(self, session: Session) -> None:
        conversation = make_conversation(session)
        receive(session, conversation, "do you sell garden furniture?")
        flows.record_unanswered(
            session, conversation_id=conversation.id, query="garden furniture", missing=True
        )
        result = flows.hand_off_from_bot(session, HUB, conversation_id=conversation.id,
                                         intent="affirm")  # fmt: skip
        assert result.ticket.handoff_reason == "missing_knowledge"
        assert result.ticket.packet["unanswered"] == "garden furniture"

    def test_asking_for_a_person_stays_the_reason_but_urgency_still_counts(
        self, session: Session
    ) -> None:
        conversation = make_conversation(session)
        receive(session, conversation, "urgent: agent please")
        result = flows.hand_off_from_bot(session, HUB, conversation_id=conversation.id,
                                         intent="request_human")  # fmt: skip
        assert (result.ticket.handoff_reason, result.ticket.priority) == (
            "asked_for_person", "high",
        )  # fmt: skip
