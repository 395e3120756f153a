"""Promote a resolution to a KB draft ("L2 trains L1"): the customer's question and the
agent's answer become a draft article for editors, in the ticket's language, linked to it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from handoff import lifecycle
from handoff import repository as repo
from handoff.lifecycle import EventKind, Sender, TicketStatus
from handoff.models import Agent
from handoff.tickets import actor_of, ticket_for
from kb import service as kb_service
from kb.service import ArticleView
from tierzero.errors import Conflict
from tierzero.languages import DEFAULT_LANGUAGE


class NothingToPromote(Conflict):
    pass


def _slug(text: str) -> str:
    ascii_words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(ascii_words)[:40].strip("-")


def promote(
    session: Session,
    *,
    agent: Agent,
    ticket_id: int,
    title: str | None = None,
    answer: str | None = None,
    questions: Sequence[str] | None = None,
) -> ArticleView:
    """A draft article from a resolved ticket: by default its first question as title and
    example question, and the agent's last reply as the answer; editors review and publish."""
    ticket = ticket_for(session, agent, ticket_id)
    if ticket.status not in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        raise NothingToPromote("only a resolved ticket can be promoted to the KB")
    messages = repo.messages_since(session, ticket.conversation_id, ticket.handoff_seq)
    replies = [m.text for m in messages if m.sender == Sender.AGENT.value]
    asked = [ticket.subject] if ticket.subject else []
    answer = answer or (replies[-1] if replies else None)
    if not answer:
        raise NothingToPromote("the ticket has no agent reply to promote; write the answer")
    questions = list(questions or asked)
    title = title or (questions[0] if questions else f"Ticket {ticket.id}")
    article = kb_service.create_article(
        session,
        key=f"ticket-{ticket.id}-{_slug(title) or 'answer'}",
        language=ticket.language or DEFAULT_LANGUAGE,
        title=title[:200],
        answer=answer,
        questions=questions,
        category=ticket.topic,
        tags=["from-ticket"],
        author=agent.email,
        author_id=agent.id,
        note=f"promoted from ticket #{ticket.id} by {agent.name}",
        source_ticket_id=ticket.id,
    )
    lifecycle.record(
        session, ticket, EventKind.PROMOTED, actor=actor_of(agent), agent_id=agent.id,
        data={"article_id": article.article.id, "key": article.article.key},
    )  # fmt: skip
    return article
