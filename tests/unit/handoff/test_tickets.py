"""The ticket life cycle, claims, escalation, notes and the collision guard on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff import conversations, tickets
from handoff.errors import (
    MessageRejected,
    OverCapacity,
    ReplyCollision,
    TicketAlreadyClaimed,
    TicketConflict,
    TicketNotAssignedToYou,
    TicketNotFound,
)
from handoff.lifecycle import (
    TRANSITIONS,
    Action,
    HandoffReason,
    Role,
    TicketStatus,
    Tier,
    allowed,
)
from handoff.models import Conversation, Message, Ticket, TicketEvent
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, make_ticket, say


def events(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )


class TestHandoff:
    def test_hand_off_creates_a_queued_l1_ticket_with_its_packet(self, session: Session) -> None:
        conversation = make_conversation(session, language="ru")
        say(session, conversation, "не работает интернет")
        conversations.add_message(
            session, conversation_id=conversation.id, sender=conversations.Sender.BOT,
            text="Попробуйте перезагрузить роутер",
            payload={"article": {"id": 7, "version": 3, "title": "Router", "confidence": 0.81,
                                 "language": "ru"}},
        )  # fmt: skip
        result = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.UNHELPFUL_ANSWERS,
            topic="internet",
        )  # fmt: skip
        ticket = result.ticket
        assert result.created
        assert (ticket.status, ticket.tier, ticket.language) == ("queued", "L1", "ru")
        assert ticket.subject == "не работает интернет"
        assert conversation.mode == "human"
        packet = ticket.packet
        assert packet["reason"] == "unhelpful_answers" and packet["topic"] == "internet"
        assert [m["text"] for m in packet["transcript"]] == [
            "не работает интернет",
            "Попробуйте перезагрузить роутер",
        ]
        assert packet["bot_attempts"] == [
            {"seq": 2, "article_id": 7, "version": 3, "title": "Router", "language": "ru",
             "confidence": 0.81}
        ]  # fmt: skip
        assert packet["customer"]["id"] == conversation.customer_id

    def test_retried_hand_off_creates_no_second_ticket(self, session: Session) -> None:
        conversation = make_conversation(session)
        first = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.LOW_CONFIDENCE
        )
        second = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
        )
        assert not second.created and second.ticket.id == first.ticket.id

    def test_hand_off_resolve_hand_off_again_makes_two_tickets_never_two_open(
        self, session: Session
    ) -> None:
        agent = make_agent(session)
        conversation = make_conversation(session)
        say(session, conversation, "first problem")
        first = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
        ).ticket
        tickets.claim(session, HUB, agent=agent, ticket_id=first.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=first.id, note="fixed")
        assert conversation.mode == "bot"
        say(session, conversation, "second problem")
        second = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
        ).ticket
        assert second.id != first.id and second.subject == "second problem"
        assert second.packet["earlier_tickets"][0]["id"] == first.id
        # the first ticket's history stops where the second one took over
        old_view = [m.text for m in tickets.detail(session, agent, first.id).transcript]
        assert "first problem" in old_view and "second problem" in old_view
        say(session, conversation, "more about the second problem")
        assert "more about the second problem" not in [
            m.text for m in tickets.detail(session, agent, first.id).transcript
        ]
        assert "more about the second problem" in [
            m.text for m in tickets.detail(session, agent, second.id).transcript
        ]
        # the database refuses a second open ticket even if a reopen tries
        with pytest.raises(TicketConflict, match="another open ticket"):
            tickets.reopen(session, HUB, agent=agent, ticket_id=first.id)
        open_count = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation.id, Ticket.status == "queued")
        )
        assert open_count == 1

    def test_customer_cancels_waiting_and_returns_to_the_bot(self, session: Session) -> None:
        ticket = make_ticket(session)
        cancelled = tickets.cancel_waiting(session, HUB, conversation_id=ticket.conversation_id)
        assert (cancelled.status, cancelled.end_reason) == ("closed", "cancelled")
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None and conversation.mode == "bot"
        last = session.scalars(
            select(Message)
            .where(Message.conversation_id == ticket.conversation_id)
            .order_by(Message.seq.desc())
        ).first()
        assert last is not None and last.sender == "system"

    def test_cancel_after_an_agent_took_it_is_409(self, session: Session) -> None:
        ticket = make_ticket(session)
        tickets.claim(session, HUB, agent=make_agent(session), ticket_id=ticket.id)
        with pytest.raises(TicketConflict):
            tickets.cancel_waiting(session, HUB, conversation_id=ticket.conversation_id)


class TestClaims:
    def test_second_claim_gets_409_with_the_fresh_state(self, session: Session) -> None:
        ticket = make_ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        claimed = tickets.claim(session, HUB, agent=alice, ticket_id=ticket.id)
        assert (claimed.assignee_id, claimed.status, claimed.version) == (alice.id, "assigned", 2)
        with pytest.raises(TicketAlreadyClaimed) as error:
            tickets.claim(session, HUB, agent=bob, ticket_id=ticket.id)
        assert error.value.status_code == 409
        assert error.value.data is not None
        assert error.value.data["ticket"]["assignee_id"] == alice.id

    def test_the_customer_is_told_who_took_it_in_their_language(self, session: Session) -> None:
        ticket = make_ticket(session, language="el", text="θέλω άνθρωπο")
        agent = make_agent(session, name="Ελένη")
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        last = session.scalars(
            select(Message).where(Message.conversation_id == ticket.conversation_id)
            .order_by(Message.seq.desc())
        ).first()  # fmt: skip
        assert last is not None and last.sender == "system"
        assert last.text == "Ο/Η Ελένη μπήκε στη συνομιλία."

    def test_claim_of_unknown_ticket_is_404(self, session: Session) -> None:
        with pytest.raises(TicketNotFound):
            tickets.claim(session, HUB, agent=make_agent(session), ticket_id=999_999)

    def test_claim_over_capacity_is_refused(self, session: Session) -> None:
        agent = make_agent(session, chat_capacity=1)
        tickets.claim(session, HUB, agent=agent, ticket_id=make_ticket(session).id)
        with pytest.raises(OverCapacity):
            tickets.claim(session, HUB, agent=agent, ticket_id=make_ticket(session).id)

    def test_next_takes_the_highest_priority_then_the_oldest(self, session: Session) -> None:
        agent = make_agent(session, chat_capacity=10)
        old = make_ticket(session)
        urgent = make_ticket(session, priority=tickets.Priority.URGENT)
        newer = make_ticket(session)
        greek = make_ticket(session, language="el")  # the agent speaks English only
        taken = [tickets.claim_next(session, HUB, agent=agent) for _ in range(4)]
        assert [t.id if t else None for t in taken] == [urgent.id, old.id, newer.id, None]
        assert greek.status == "queued"

    def test_release_requeues_and_logs_the_actor(self, session: Session) -> None:
        ticket = make_ticket(session)
        agent = make_agent(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.release(session, HUB, agent=agent, ticket_id=ticket.id, reason="wrong skill")
        assert (ticket.status, ticket.assignee_id) == ("queued", None)
        last = events(session, ticket)[-1]
        assert (last.kind, last.actor, last.agent_id, last.from_status, last.to_status) == (
            "released", "agent", agent.id, "assigned", "queued",
        )  # fmt: skip

    def test_transfer_to_a_colleague(self, session: Session) -> None:
        ticket = make_ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        tickets.claim(session, HUB, agent=alice, ticket_id=ticket.id)
        tickets.transfer(session, HUB, agent=alice, ticket_id=ticket.id, to_agent=bob)
        assert ticket.assignee_id == bob.id
        assert events(session, ticket)[-1].data == {
            "tier": "L1",
            "from_agent": alice.id,
            "to_agent": bob.id,
        }

    def test_only_the_assignee_or_a_lead_changes_a_claimed_ticket(self, session: Session) -> None:
        ticket = make_ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        lead = make_agent(session, role=Role.LEAD)
        tickets.claim(session, HUB, agent=alice, ticket_id=ticket.id)
        with pytest.raises(TicketNotAssignedToYou):
            tickets.resolve(session, HUB, agent=bob, ticket_id=ticket.id)
        tickets.transfer(session, HUB, agent=lead, ticket_id=ticket.id, to_agent=bob)
        assert ticket.assignee_id == bob.id
        assert events(session, ticket)[-1].actor == "lead"


class TestEscalation:
    def test_escalation_needs_a_note_and_carries_everything(self, session: Session) -> None:
        ticket = make_ticket(session, text="my invoice is wrong")
        l1 = make_agent(session, tier=Tier.L1)
        l2 = make_agent(session, tier=Tier.L2)
        tickets.claim(session, HUB, agent=l1, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=l1, ticket_id=ticket.id, text="Checking your invoice")
        tickets.add_note(session, HUB, agent=l1, ticket_id=ticket.id, text="VAT id looks wrong")
        with pytest.raises(MessageRejected, match="needs a note"):
            tickets.escalate(session, HUB, agent=l1, ticket_id=ticket.id, note="  ")
        tickets.escalate(session, HUB, agent=l1, ticket_id=ticket.id, note="needs billing L2")
        assert (ticket.tier, ticket.status, ticket.assignee_id) == ("L2", "queued", None)
        # the L1 agent no longer sees it; the L2 agent sees everything L1 saw and wrote
        with pytest.raises(TicketNotFound):
            tickets.ticket_for(session, l1, ticket.id)
        detail = tickets.detail(session, l2, ticket.id)
        assert [m.text for m in detail.transcript][:3] == [
            "my invoice is wrong", "Test Agent joined the chat.", "Checking your invoice",
        ]  # fmt: skip
        kinds = [(e.kind, e.data.get("text") or e.data.get("note")) for e in detail.events]
        assert ("note", "VAT id looks wrong") in kinds
        assert ("escalated", "needs billing L2") in kinds

    def test_de_escalate_goes_down_with_guidance(self, session: Session) -> None:
        ticket = make_ticket(session)
        l1, l2 = make_agent(session, tier=Tier.L1), make_agent(session, tier=Tier.L2)
        tickets.claim(session, HUB, agent=l1, ticket_id=ticket.id)
        tickets.escalate(session, HUB, agent=l1, ticket_id=ticket.id, note="unsure")
        tickets.claim(session, HUB, agent=l2, ticket_id=ticket.id)
        tickets.de_escalate(session, HUB, agent=l2, ticket_id=ticket.id, note="refund via form B")
        assert (ticket.tier, ticket.status) == ("L1", "queued")
        assert events(session, ticket)[-1].reason == "refund via form B"

    def test_l3_cannot_escalate_further(self, session: Session) -> None:
        ticket = make_ticket(session)
        l3 = make_agent(session, tier=Tier.L3)
        lead = make_agent(session, role=Role.LEAD)
        for _ in range(2):
            tickets.escalate(session, HUB, agent=lead, ticket_id=ticket.id, note="up")
        tickets.claim(session, HUB, agent=l3, ticket_id=ticket.id)
        with pytest.raises(TicketConflict):
            tickets.escalate(session, HUB, agent=l3, ticket_id=ticket.id, note="more")

    def test_resolve_versus_escalate_at_once_the_loser_gets_409(self, session: Session) -> None:
        ticket = make_ticket(session)
        agent = make_agent(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        seen = ticket.version
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id, expected_version=seen)
        with pytest.raises(TicketConflict) as error:
            tickets.escalate(
                session, HUB, agent=agent, ticket_id=ticket.id, note="x", expected_version=seen
            )
        assert error.value.data is not None
        assert error.value.data["ticket"]["status"] == "resolved"


class TestRepliesAndNotes:
    def test_collision_guard_refuses_a_reply_over_new_customer_messages(
        self, session: Session
    ) -> None:
        ticket = make_ticket(session)
        agent = make_agent(session)
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        seen = conversation.last_seq
        say(session, conversation, "actually, it's the other account")
        with pytest.raises(ReplyCollision) as error:
            tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="Done!",
                          last_seen_seq=seen)  # fmt: skip
        assert [m["text"] for m in error.value.data["messages"]] == [
            "actually, it's the other account"
        ]
        message = tickets.reply(
            session, HUB, agent=agent, ticket_id=ticket.id, text="Which account?",
            last_seen_seq=conversation.last_seq,
        )  # fmt: skip
        # the agent's own earlier reply is no collision
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id, text="(the email?)",
                      last_seen_seq=message.seq - 1)  # fmt: skip

    def test_a_resent_reply_is_stored_once(self, session: Session) -> None:
        """The console lost its connection before the answer came: it sends the same reply
        (same client_msg_id) again, even after the ticket was resolved meanwhile."""
        ticket = make_ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        tickets.claim(session, HUB, agent=alice, ticket_id=ticket.id)
        first = tickets.reply(session, HUB, agent=alice, ticket_id=ticket.id, text="On it",
                              client_msg_id="reply-0001")  # fmt: skip
        again = tickets.reply(session, HUB, agent=alice, ticket_id=ticket.id, text="On it",
                              client_msg_id="reply-0001", last_seen_seq=0)  # fmt: skip
        assert again.id == first.id
        tickets.resolve(session, HUB, agent=alice, ticket_id=ticket.id)
        late = tickets.reply(session, HUB, agent=alice, ticket_id=ticket.id, text="On it",
                             client_msg_id="reply-0001")  # fmt: skip
        assert late.id == first.id
        texts = session.scalars(
            select(Message.text).where(Message.conversation_id == ticket.conversation_id)
        ).all()
        assert texts.count("On it") == 1
        with pytest.raises(TicketConflict):  # nobody else's message under that id
            tickets.reply(session, HUB, agent=bob, ticket_id=ticket.id, text="x",
                          client_msg_id="reply-0001")  # fmt: skip
        assert ticket.first_response_at == first.created_at

    def test_internal_notes_are_never_part_of_the_conversation(self, session: Session) -> None:
        ticket = make_ticket(session)
        agent = make_agent(session)
        tickets.add_note(session, HUB, agent=agent, ticket_id=ticket.id, text="SECRET-NOTE-42")
        texts = session.scalars(
            select(Message.text).where(Message.conversation_id == ticket.conversation_id)
        ).all()
        assert all("SECRET-NOTE-42" not in t for t in texts)

    def test_only_the_assignee_replies(self, session: Session) -> None:
        ticket = make_ticket(session)
        alice, bob = make_agent(session), make_agent(session)
        tickets.claim(session, HUB, agent=alice, ticket_id=ticket.id)
        with pytest.raises(TicketNotAssignedToYou):
            tickets.reply(session, HUB, agent=bob, ticket_id=ticket.id, text="hi")
        tickets.reply(session, HUB, agent=alice, ticket_id=ticket.id, text="Hi, I'm Alice")
        assert ticket.first_response_at is not None
        assert [e.kind for e in events(session, ticket)] == [
            "created", "claimed", "first_response", "replied",
        ]  # fmt: skip


class TestPermissions:
    @pytest.mark.parametrize(
        "role,tier,sees",
        [
            (Role.AGENT, Tier.L1, {"L1"}),
            (Role.AGENT, Tier.L2, {"L1", "L2"}),
            (Role.AGENT, Tier.L3, {"L1", "L2", "L3"}),
            (Role.LEAD, Tier.L1, {"L1", "L2", "L3"}),
            (Role.ADMIN, Tier.L1, {"L1", "L2", "L3"}),
            (Role.EDITOR, Tier.L3, set()),
        ],
    )
    def test_who_sees_which_tier(
        self, session: Session, role: Role, tier: Tier, sees: set[str]
    ) -> None:
        lead = make_agent(session, role=Role.LEAD)
        by_tier = {"L1": make_ticket(session), "L2": make_ticket(session),
                   "L3": make_ticket(session)}  # fmt: skip
        tickets.escalate(session, HUB, agent=lead, ticket_id=by_tier["L2"].id, note="up")
        for _ in range(2):
            tickets.escalate(session, HUB, agent=lead, ticket_id=by_tier["L3"].id, note="up")
        viewer = make_agent(session, role=role, tier=tier)
        for name, ticket in by_tier.items():
            if name in sees:
                assert tickets.ticket_for(session, viewer, ticket.id).id == ticket.id
            else:
                with pytest.raises(TicketNotFound):
                    tickets.ticket_for(session, viewer, ticket.id)
                with pytest.raises(TicketNotFound):
                    tickets.claim(session, HUB, agent=viewer, ticket_id=ticket.id)
                assert ticket.status == "queued" and ticket.assignee_id is None


class TestStateMachine:
    @pytest.mark.parametrize("action", list(Action))
    def test_every_action_outside_its_sources_is_refused(
        self, session: Session, action: Action
    ) -> None:
        from handoff import lifecycle

        agent = make_agent(session)
        for status in TicketStatus:
            if allowed(action, status):
                continue
            ticket = make_ticket(session)
            session.execute(
                Ticket.__table__.update().where(Ticket.id == ticket.id).values(status=status.value)
            )
            session.refresh(ticket)
            before = len(events(session, ticket))
            with pytest.raises(TicketConflict):
                lifecycle.apply(session, ticket, action, actor=lifecycle.Actor.AGENT,
                                agent_id=agent.id)  # fmt: skip
            assert len(events(session, ticket)) == before
        assert TRANSITIONS[action].sources


class TestCsat:
    def test_one_rating_per_resolution_a_second_replaces_it(self, session: Session) -> None:
        ticket = make_ticket(session)
        agent = make_agent(session)
        with pytest.raises(TicketConflict, match="resolved"):
            tickets.rate(session, HUB, conversation_id=ticket.conversation_id,
                         ticket_id=ticket.id, score=5)  # fmt: skip
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        resolved_message = session.scalars(
            select(Message)
            .where(Message.conversation_id == ticket.conversation_id)
            .order_by(Message.seq.desc())
        ).first()
        assert resolved_message is not None
        assert resolved_message.payload["csat"]["ticket_id"] == ticket.id
        tickets.rate(session, HUB, conversation_id=ticket.conversation_id, ticket_id=ticket.id,
                     score=2, comment="slow")  # fmt: skip
        tickets.rate(session, HUB, conversation_id=ticket.conversation_id, ticket_id=ticket.id,
                     score=5, comment="  ")  # fmt: skip
        assert (ticket.csat_score, ticket.csat_comment) == (5, None)
        rated = [e for e in events(session, ticket) if e.kind == "rated"]
        assert [(e.data["score"], e.data["replaced"]) for e in rated] == [(2, False), (5, True)]

    def test_only_the_tickets_own_customer_rates_it(self, session: Session) -> None:
        ticket = make_ticket(session)
        other = make_conversation(session)
        with pytest.raises(TicketNotFound):
            tickets.rate(session, HUB, conversation_id=other.id, ticket_id=ticket.id, score=4)

    def test_a_cancelled_wait_is_not_rated(self, session: Session) -> None:
        ticket = make_ticket(session)
        tickets.cancel_waiting(session, HUB, conversation_id=ticket.conversation_id)
        with pytest.raises(TicketConflict):
            tickets.rate(session, HUB, conversation_id=ticket.conversation_id,
                         ticket_id=ticket.id, score=3)  # fmt: skip
