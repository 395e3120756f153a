"""Conversations, messages and agent accounts, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff import agents
from handoff.errors import InvalidCredentials, MessageRejected, MessageTooLong
from handoff.lifecycle import Role, Tier
from handoff.models import Message
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


class TestAgents:
    def test_login_with_right_password(self, session: Session) -> None:
        agent = make_agent(session)
        found = agents.authenticate(session, email=agent.email, password="correct horse battery")
        assert found.id == agent.id

    @pytest.mark.parametrize(
        "email,password", [("nobody@example.test", "x" * 10), (None, "wrong password")]
    )
    def test_login_failures_look_the_same(
        self, session: Session, email: str | None, password: str
    ) -> None:
        agent = make_agent(session)
        with pytest.raises(InvalidCredentials, match="wrong email or password"):
            agents.authenticate(session, email=email or agent.email, password=password)

    def test_password_is_stored_as_argon2_hash(self, session: Session) -> None:
        agent = make_agent(session)
        assert agent.password_hash.startswith("$argon2id$")

    def test_deactivated_agent_cannot_log_in_and_goes_offline(self, session: Session) -> None:
        agent = make_agent(session)
        agents.update_agent(session, agent.id, active=False)
        assert agent.presence == "offline"
        with pytest.raises(InvalidCredentials):
            agents.authenticate(session, email=agent.email, password="correct horse battery")

    def test_unknown_language_is_refused(self, session: Session) -> None:
        with pytest.raises(MessageRejected, match="unsupported language"):
            make_agent(session, languages=("en", "xx"))

    @pytest.mark.parametrize(
        "role,tier,expected",
        [
            (Role.AGENT, Tier.L1, ("L1",)),
            (Role.AGENT, Tier.L2, ("L1", "L2")),
            (Role.AGENT, Tier.L3, ("L1", "L2", "L3")),
            (Role.LEAD, Tier.L1, ("L1", "L2", "L3")),
            (Role.ADMIN, Tier.L1, ("L1", "L2", "L3")),
        ],
    )
    def test_visible_tiers(
        self, session: Session, role: Role, tier: Tier, expected: tuple[str, ...]
    ) -> None:
        agent = make_agent(session, role=role, tier=tier)
        assert tuple(t.value for t in agents.visible_tiers(agent)) == expected
