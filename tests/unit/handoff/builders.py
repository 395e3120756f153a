"""Small builders of real objects for handoff tests."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from handoff import service
from handoff.models import Agent, Conversation


def make_conversation(session: Session, *, language: str | None = "en") -> Conversation:
    return service.start_conversation(session, language=language)


def make_agent(session: Session, *, role: str = "agent", tier: str = "L1") -> Agent:
    return service.create_agent(
        session,
        email=f"agent-{uuid.uuid4().hex[:8]}@example.test",
        name="Test Agent",
        password="correct horse battery",
        role=role,
        tier=tier,
    )


def say(session: Session, conversation: Conversation, text: str, client_msg_id: str | None = None):  # type: ignore[no-untyped-def]
    return service.receive_customer_message(
        session,
        conversation_id=conversation.id,
        client_msg_id=client_msg_id or uuid.uuid4().hex,
        text=text,
        max_chars=4000,
    )
