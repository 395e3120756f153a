"""Canned responses and promoting a resolution to a KB draft, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from handoff import canned, promote, tickets
from handoff.errors import MessageRejected
from handoff.lifecycle import Role
from kb import service as kb_service
from tests.unit.handoff.builders import HUB, make_agent, make_ticket


class TestCanned:
    def test_placeholders_are_filled_for_the_ticket(self, session: Session) -> None:
        lead = make_agent(session, role=Role.LEAD)
        saved = canned.save_canned(
            session, author=lead, title="greeting", language="sr",
            text="Zdravo {customer_name}, ja sam {agent_name}; vaš zahtev je #{ticket_id}.",
        )  # fmt: skip
        ticket = make_ticket(session, language="sr")
        agent = make_agent(session)
        text = canned.fill(session, saved, ticket=ticket, agent=agent)
        assert text == f"Zdravo, ja sam Test Agent; vaš zahtev je #{ticket.id}."
        assert [c.id for c in canned.list_canned(session, language="sr")] == [saved.id]
        assert canned.list_canned(session, language="el") == []

    @pytest.mark.parametrize("text", ["Hi {customer}", "Hi {customer_name", "{0} hello"])
    def test_unknown_or_broken_placeholders_are_refused(self, session: Session, text: str) -> None:
        lead = make_agent(session, role=Role.LEAD)
        with pytest.raises(MessageRejected):
            canned.save_canned(session, author=lead, title="x", language="en", text=text)

    def test_one_title_per_language(self, session: Session) -> None:
        lead = make_agent(session, role=Role.LEAD)
        canned.save_canned(session, author=lead, title="bye", language="en", text="Bye!")
        canned.save_canned(session, author=lead, title="bye", language="el", text="Αντίο!")
        with pytest.raises(canned.CannedTitleTaken):
            canned.save_canned(session, author=lead, title="bye", language="en", text="Ciao")


class TestPromote:
    def test_a_resolution_becomes_a_draft_linked_to_its_ticket(self, session: Session) -> None:
        ticket = make_ticket(session, language="el", text="Πώς αλλάζω το PIN του router;")
        agent = make_agent(session)
        tickets.claim(session, HUB, agent=agent, ticket_id=ticket.id)
        with pytest.raises(promote.NothingToPromote):
            promote.promote(session, agent=agent, ticket_id=ticket.id)
        tickets.reply(session, HUB, agent=agent, ticket_id=ticket.id,
                      text="Ανοίξτε 192.168.1.1 → Ρυθμίσεις → PIN.")  # fmt: skip
        tickets.resolve(session, HUB, agent=agent, ticket_id=ticket.id)
        view = promote.promote(session, agent=agent, ticket_id=ticket.id)
        assert view.article.source_ticket_id == ticket.id
        (translation,) = view.translations
        assert (translation.translation.language, translation.translation.status) == ("el", "draft")
        assert translation.current.answer == "Ανοίξτε 192.168.1.1 → Ρυθμίσεις → PIN."
        assert list(translation.current.questions) == ["Πώς αλλάζω το PIN του router;"]
        assert kb_service.get_article(session, view.article.id).article.key.startswith(
            f"ticket-{ticket.id}-"
        )
