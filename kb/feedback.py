"""What the bot's answers did: each answer shown, the customers' "did this help?", handoffs
that followed, and the statistics per article."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kb import repository as repo
from kb.models import (
    MAX_QUERY_CHARS,
    AnswerEvent,
)
from kb.reading import find_article, require_article
from kb.validation import clean_field
from tierzero.db import utcnow


def _event_query(query: str) -> str:
    return clean_field(query).strip()[:MAX_QUERY_CHARS]


def record_answer_shown(
    session: Session,
    *,
    article_id: int,
    language: str | None,
    query: str,
    confidence: float | None,
    conversation_id: int | None = None,
) -> None:
    """The bot answered with this article (the denominator of every answer statistic)."""
    require_article(session, article_id)
    session.add(
        AnswerEvent(
            article_id=article_id,
            language=language,
            query=_event_query(query),
            confidence=confidence,
            conversation_id=conversation_id,
            kind="shown",
            created_at=utcnow(),
        )
    )
    session.flush()


def record_feedback(
    session: Session,
    *,
    article_id: int,
    language: str | None,
    query: str,
    confidence: float | None,
    helpful: bool,
    conversation_id: int | None = None,
    visitor: str | None = None,
) -> None:
    """A "did this help?" about an article: the bot's customer (``conversation_id``) or a
    help-centre reader (``visitor``, an anonymous cookie). One vote per conversation or reader
    and article; a second vote replaces the first."""
    require_article(session, article_id)
    kind = "helpful" if helpful else "not_helpful"
    if conversation_id is not None or visitor is not None:
        earlier = repo.feedback_event(
            session, article_id=article_id, conversation_id=conversation_id, visitor=visitor
        )
        if earlier is not None:
            earlier.kind = kind
            earlier.created_at = utcnow()
            session.flush()
            return
    session.add(
        AnswerEvent(
            article_id=article_id,
            language=language,
            query=_event_query(query),
            confidence=confidence,
            conversation_id=conversation_id,
            kind=kind,
            source="bot" if visitor is None else "help_centre",
            visitor=visitor,
            created_at=utcnow(),
        )
    )
    session.flush()


def record_handoff_after(session: Session, *, article_id: int, conversation_id: int) -> None:
    """The customer asked for a person after this answer: counted once per conversation."""
    require_article(session, article_id)
    if repo.has_event(
        session, article_id=article_id, conversation_id=conversation_id, kind="handoff_after"
    ):
        return
    session.add(
        AnswerEvent(
            article_id=article_id,
            language=repo.last_shown_language(
                session, article_id=article_id, conversation_id=conversation_id
            ),
            query="",
            confidence=None,
            conversation_id=conversation_id,
            kind="handoff_after",
            created_at=utcnow(),
        )
    )
    session.flush()


@dataclass(frozen=True)
class AnswerStats:
    shown: int = 0
    helpful: int = 0
    not_helpful: int = 0
    handoffs_after: int = 0

    @property
    def helpful_rate(self) -> float | None:
        """Share of votes that said helpful; None before the first vote."""
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None

    def __add__(self, other: AnswerStats) -> AnswerStats:
        return AnswerStats(
            self.shown + other.shown,
            self.helpful + other.helpful,
            self.not_helpful + other.not_helpful,
            self.handoffs_after + other.handoffs_after,
        )


@dataclass(frozen=True)
class ArticleStats:
    article_id: int
    key: str
    total: AnswerStats
    by_language: dict[str, AnswerStats]


def article_stats(session: Session, article_id: int) -> ArticleStats:
    """How often the bot showed the article, how it was rated, how often a person was needed."""
    article = find_article(session, article_id)
    by_language: dict[str, AnswerStats] = {}
    for language, kind, count in repo.event_counts(session, article_id):
        lang = language or "unknown"
        add = AnswerStats(
            shown=count if kind == "shown" else 0,
            helpful=count if kind == "helpful" else 0,
            not_helpful=count if kind == "not_helpful" else 0,
            handoffs_after=count if kind == "handoff_after" else 0,
        )
        by_language[lang] = by_language.get(lang, AnswerStats()) + add
    total = sum(by_language.values(), AnswerStats())
    return ArticleStats(article.id, article.key, total, dict(sorted(by_language.items())))


def keys_for(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    return repo.keys_by_id(session, article_ids)
