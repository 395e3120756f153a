"""Rules of conversations, handoff and tickets, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff import service
from handoff.errors import (
    InvalidCredentials,
    MessageRejected,
    MessageTooLong,
    TicketAlreadyClaimed,
    TicketNotAssignedToYou,
    TicketNotFound,
)
from handoff.models import Message, Ticket, TicketEvent
from tests.unit.handoff.builders import make_agent, make_conversation, say


class TestCustomerMessages:
    def test_messages_get_increasing_seq(self, session: Session) -> None:
        conversation = make_conversation(session)
        seqs = [say(session, conversation, f"message {i}").message.seq for i in range(3)]
        assert seqs == [1, 2, 3]

    def test_duplicate_client_msg_id_is_stored_once(self, session: Session) -> None:
        conversation = make_conversation(session)
        first = say(session, conversation, "hello", client_msg_id="abc")
        again = say(session, conversation, "hello (retry)", client_msg_id="abc")
        assert first.created and not again.created
        assert again.message.seq == first.message.seq
        count = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == conversation.id)
        )
        assert count == 1

    @pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02"])
    def test_empty_text_is_rejected(self, session: Session, text: str) -> None:
        conversation = make_conversation(session)
        with pytest.raises(MessageRejected, match="empty"):
            say(session, conversation, text)

    def test_too_long_text_is_rejected(self, session: Session) -> None:
        conversation = make_conversation(session)
        with pytest.raises(MessageTooLong, match="too long") as error:
            say(session, conversation, "x" * 4001)
        assert error.value.status_code == 413

    def test_control_characters_are_dropped(self, session: Session) -> None:
        conversation = make_conversation(session)
        assert say(session, conversation, "he\x07llo\nthere").message.text == "hello\nthere"


class TestHandoff:
    def test_hand_off_creates_one_ticket_with_transcript_subject(self, session: Session) -> None:
        conversation = make_conversation(session, language="ru")
        say(session, conversation, "не работает интернет")
        result = service.hand_off(
            session, conversation_id=conversation.id, reason="asked_for_person"
        )
        assert result.created
        ticket = result.ticket
        assert (ticket.status, ticket.tier, ticket.language) == ("queued", "L1", "ru")
        assert ticket.subject == "не работает интернет"
        assert ticket.assignee_id is None
        assert conversation.mode == "human"

    def test_retried_hand_off_creates_no_second_ticket(self, session: Session) -> None:
        conversation = make_conversation(session)
        first = service.hand_off(session, conversation_id=conversation.id, reason="low_confidence")
        second = service.hand_off(
            session, conversation_id=conversation.id, reason="asked_for_person"
        )
        assert not second.created and second.ticket.id == first.ticket.id
        tickets = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation.id)
        )
        assert tickets == 1

    def test_unknown_reason_is_rejected(self, session: Session) -> None:
        conversation = make_conversation(session)
        with pytest.raises(MessageRejected):
            service.hand_off(session, conversation_id=conversation.id, reason="bored")


class TestClaimAndReply:
    def _ticket(self, session: Session) -> Ticket:
        conversation = make_conversation(session)
        say(session, conversation, "help")
        return service.hand_off(
            session, conversation_id=conversation.id, reason="asked_for_person"
        ).ticket

    def test_second_claim_gets_409(self, session: Session) -> None:
        ticket = self._ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        claimed = service.claim(session, ticket_id=ticket.id, agent=alice)
        assert (claimed.assignee_id, claimed.status) == (alice.id, "assigned")
        with pytest.raises(TicketAlreadyClaimed) as error:
            service.claim(session, ticket_id=ticket.id, agent=bob)
        assert error.value.status_code == 409

    def test_claim_of_unknown_ticket_is_404(self, session: Session) -> None:
        with pytest.raises(TicketNotFound):
            service.claim(session, ticket_id=999_999, agent=make_agent(session))

    def test_only_the_assignee_replies(self, session: Session) -> None:
        ticket = self._ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        service.claim(session, ticket_id=ticket.id, agent=alice)
        with pytest.raises(TicketNotAssignedToYou):
            service.reply(session, ticket_id=ticket.id, agent=bob, text="hi")
        message = service.reply(session, ticket_id=ticket.id, agent=alice, text="Hi, I'm Alice")
        assert message.sender == "agent" and message.agent_id == alice.id
        assert ticket.first_response_at is not None

    def test_every_state_change_writes_an_event(self, session: Session) -> None:
        ticket = self._ticket(session)
        alice = make_agent(session)
        service.claim(session, ticket_id=ticket.id, agent=alice)
        service.reply(session, ticket_id=ticket.id, agent=alice, text="On it")
        kinds = session.scalars(
            select(TicketEvent.kind)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        ).all()
        assert kinds == ["created", "claimed", "first_response", "agent_replied"]


class TestAgents:
    def test_login_with_right_password(self, session: Session) -> None:
        agent = make_agent(session)
        assert (
            service.authenticate(session, email=agent.email, password="correct horse battery").id
            == agent.id
        )

    @pytest.mark.parametrize(
        "email,password", [("nobody@example.test", "x" * 10), (None, "wrong password")]
    )
    def test_login_failures_look_the_same(
        self, session: Session, email: str | None, password: str
    ) -> None:
        agent = make_agent(session)
        with pytest.raises(InvalidCredentials, match="wrong email or password"):
            service.authenticate(session, email=email or agent.email, password=password)

    def test_password_is_stored_as_argon2_hash(self, session: Session) -> None:
        agent = make_agent(session)
        assert agent.password_hash.startswith("$argon2id$")
