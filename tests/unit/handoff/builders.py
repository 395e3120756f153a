"""Small builders of real objects for handoff tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from handoff import agents, conversations, tickets
from handoff.conversations import Received
from handoff.lifecycle import HandoffReason, Presence, Priority, Role, Tier
from handoff.models import Agent, Conversation, Ticket
from tierzero.hub import NullHub

HUB = NullHub()


def make_conversation(session: Session, *, language: str | None = "en") -> Conversation:
    return conversations.start_conversation(session, language=language)


def make_agent(
    session: Session,
    *,
    role: Role = Role.AGENT,
    tier: Tier = Tier.L1,
    languages: Sequence[str] = ("en",),
    skills: Sequence[str] = (),
    chat_capacity: int = 5,
    presence: Presence = Presence.OFFLINE,
    name: str = "Test Agent",
) -> Agent:
    agent = agents.create_agent(
        session,
        email=f"agent-{uuid.uuid4().hex[:8]}@example.test",
        name=name,
        password="correct horse battery",
        role=role,
        tier=tier,
        languages=languages,
        skills=skills,
        chat_capacity=chat_capacity,
    )
    return agents.set_presence(session, agent, presence)


def say(
    session: Session, conversation: Conversation, text: str, client_msg_id: str | None = None
) -> Received:
    return conversations.store_customer_message(
        session,
        conversation_id=conversation.id,
        client_msg_id=client_msg_id or uuid.uuid4().hex,
        text=text,
        max_chars=4000,
    )


def make_ticket(
    session: Session,
    *,
    language: str | None = "en",
    text: str = "help",
    topic: str | None = None,
    priority: Priority = Priority.NORMAL,
    reason: HandoffReason = HandoffReason.ASKED_FOR_PERSON,
) -> Ticket:
    conversation = make_conversation(session, language=language)
    say(session, conversation, text)
    return tickets.hand_off(
        session, HUB, conversation_id=conversation.id, reason=reason, topic=topic,
        priority=priority,
    ).ticket  # fmt: skip
