"""Copilot: the KB articles that best answer a handed-off conversation, ready to send.

The customer's own words since the handoff began (and the question that started it) are
searched in the customer's language; each article keeps its best confidence over those
searches. Answers come in the customer's script, so the agent sends a vetted text instead of
typing one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.language import render
from handoff.lifecycle import Sender
from handoff.models import Ticket
from handoff.person_request import asks_for_person
from handoff.schemas import SuggestionRead as Suggestion
from kb.search import KbIndex

#: How many of the customer's latest messages are searched (older ones are usually settled).
RECENT_MESSAGES = 6


def customer_questions(session: Session, ticket: Ticket) -> list[str]:
    """The ticket's subject and the customer's latest messages, newest last, without repeats
    and without the requests for a person."""
    messages = repo.messages_since(session, ticket.conversation_id)
    texts = [m.text for m in messages if m.sender == Sender.CUSTOMER.value and m.text.strip()]
    picked = [ticket.subject, *texts[-RECENT_MESSAGES:]] if ticket.subject else texts
    # "agent please" asks for a person, not about a topic: searching it finds "contact us"
    return list(dict.fromkeys(t for t in picked if t and not asks_for_person(t)))


def suggestions(
    session: Session,
    index: KbIndex,
    ticket: Ticket,
    *,
    script: str | None,
    limit: int = 3,
    query: str | None = None,
) -> list[Suggestion]:
    """The best articles for the conversation so far, or for the agent's own ``query`` (the
    console's KB search), in the ticket's language and the customer's script."""
    best: dict[int, Suggestion] = {}
    language = ticket.language
    for text in [query] if query else customer_questions(session, ticket):
        for hit in index.search(text, language=language, limit=limit).hits:
            found = best.get(hit.article_id)
            if found is not None and found.confidence >= hit.confidence:
                continue
            shown = (
                render(hit.answer, hit.language, script) if hit.language == language else hit.answer
            )
            best[hit.article_id] = Suggestion(
                article_id=hit.article_id, title=hit.title, answer=shown, url=hit.url,
                language=hit.language, version=hit.version,
                confidence=round(float(hit.confidence), 3), matched=text,
            )  # fmt: skip
    return sorted(best.values(), key=lambda s: -s.confidence)[:limit]
