"""Copilot suggestions and the customer's whole story, on a real database and a real KB index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from handoff import copilot, customers, tickets
from handoff.errors import TicketNotFound
from handoff.lifecycle import HandoffReason, Role, Tier
from kb import service as kb_service
from kb.search import KbIndex
from tests.unit.handoff.builders import HUB, make_agent, make_conversation, say
from tierzero.settings import PROJECT_ROOT

DEMO_KB = PROJECT_ROOT / "kb" / "demo" / "articles.yaml"


@pytest.fixture
def index(session: Session) -> Iterator[KbIndex]:
    kb_service.import_file(session, DEMO_KB, author="tests")
    built = KbIndex(dense=False)
    kb_service.load_index(session, built)
    yield built


def _handed_off(session: Session, language: str, *texts: str):  # type: ignore[no-untyped-def]
    conversation = make_conversation(session, language=language)
    for text in texts:
        say(session, conversation, text)
    result = tickets.hand_off(
        session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
    )
    return conversation, result.ticket


class TestCopilot:
    def test_a_greek_password_reset_conversation_gets_the_greek_article(
        self, session: Session, index: KbIndex
    ) -> None:
        _, ticket = _handed_off(
            session, "el", "Ξέχασα τον κωδικό μου και δεν μπορώ να μπω", "θέλω άνθρωπο"
        )
        found = copilot.suggestions(session, index, ticket, script=None)
        assert found, "no suggestion"
        assert "password-reset" in found[0].url and found[0].language == "el"
        assert found[0].answer and 0 < found[0].confidence <= 1
        assert found[0].matched == "Ξέχασα τον κωδικό μου και δεν μπορώ να μπω"
        assert [s.confidence for s in found] == sorted((s.confidence for s in found), reverse=True)

    def test_serbian_cyrillic_customers_get_cyrillic_answers(
        self, session: Session, index: KbIndex
    ) -> None:
        _, ticket = _handed_off(session, "sr", "Kako da resetujem lozinku za nalog?")
        (top, *_) = copilot.suggestions(session, index, ticket, script="Cyrl")
        assert top.language == "sr" and "password-reset" in top.url
        assert not any(ch in "čćšžđ" for ch in top.answer.lower())
        assert any("а" <= ch <= "ш" for ch in top.answer.lower())

    def test_the_agents_own_search_replaces_the_conversation(
        self, session: Session, index: KbIndex
    ) -> None:
        """The console's KB search: the agent's words, in the customer's language and script."""
        _, ticket = _handed_off(session, "sr", "Kako da resetujem lozinku za nalog?")
        by_conversation = copilot.suggestions(session, index, ticket, script="Cyrl")
        searched = copilot.suggestions(
            session, index, ticket, script="Cyrl", query="povraćaj novca za račun", limit=5
        )
        assert searched and searched[0].matched == "povraćaj novca za račun"
        assert "password-reset" in by_conversation[0].url
        assert "refund" in searched[0].url
        assert searched[0].language == "sr" and not any(ch in "čćšžđ" for ch in searched[0].answer)

    def test_a_bare_request_for_a_person_suggests_nothing(
        self, session: Session, index: KbIndex
    ) -> None:
        _, ticket = _handed_off(session, "en", "agent", "I want to talk to a human")
        assert copilot.suggestions(session, index, ticket, script=None) == []


class TestCustomerStory:
    def test_all_conversations_and_tickets_with_outcomes_and_what_is_open(
        self, session: Session
    ) -> None:
        agent = make_agent(session, tier=Tier.L1)
        conversation, first = _handed_off(session, "en", "my invoice is wrong")
        tickets.claim(session, HUB, agent=agent, ticket_id=first.id)
        tickets.resolve(session, HUB, agent=agent, ticket_id=first.id)
        say(session, conversation, "and now the router")
        second = tickets.hand_off(
            session, HUB, conversation_id=conversation.id, reason=HandoffReason.ASKED_FOR_PERSON
        ).ticket
        found = customers.story(session, agent, conversation.customer_id)
        assert found.customer.id == conversation.customer_id
        assert [t.id for t in found.tickets] == [second.id, first.id]
        assert [t.id for t in found.open_tickets] == [second.id]
        assert found.tickets[1].end_reason == "resolved"
        assert found.conversations[0].messages == conversation.last_seq

    def test_a_customer_without_a_visible_ticket_is_404(self, session: Session) -> None:
        lead = make_agent(session, role=Role.LEAD)
        l1 = make_agent(session, tier=Tier.L1)
        conversation, ticket = _handed_off(session, "en", "help")
        tickets.escalate(session, HUB, agent=lead, ticket_id=ticket.id, note="engineering")
        tickets.escalate(session, HUB, agent=lead, ticket_id=ticket.id, note="engineering")
        with pytest.raises(TicketNotFound):
            customers.story(session, l1, conversation.customer_id)
        assert customers.story(session, lead, conversation.customer_id).tickets
