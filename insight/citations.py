"""Which versions of an article the bot's recent answers cited, and how those answers fared:
when an editor changes or archives an article, the console shows how many customers read the
old text and which of those conversations said it did not help (or an agent flagged it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from insight.models import AnswerFlag, BotAnswer, Decision, Verdict

MAX_LISTED = 50


@dataclass
class VersionCitations:
    language: str
    version: int
    current: bool
    answers: int = 0
    not_helpful: int = 0
    flagged: int = 0
    #: The conversations where this version was marked unhelpful or flagged (newest first).
    conversations: list[dict[str, object]] = field(default_factory=list)


def citations(session: Session, article_id: int, *, since: datetime) -> list[VersionCitations]:
    """Per translation language and version, newest version first: answers since ``since``."""
    from kb.models import ArticleTranslation

    current = dict(
        session.execute(
            select(ArticleTranslation.language, ArticleTranslation.published_version).where(
                ArticleTranslation.article_id == article_id
            )
        ).all()
    )
    flags = (
        select(AnswerFlag.bot_answer_id, func.count().label("n"))
        .group_by(AnswerFlag.bot_answer_id)
        .subquery()
    )
    rows = session.execute(
        select(BotAnswer, func.coalesce(flags.c.n, 0))
        .outerjoin(flags, flags.c.bot_answer_id == BotAnswer.id)
        .where(
            BotAnswer.article_id == article_id,
            BotAnswer.decision == Decision.ANSWER.value,
            BotAnswer.created_at >= since,
        )
        .order_by(BotAnswer.created_at.desc(), BotAnswer.id.desc())
    ).all()
    out: dict[tuple[str, int], VersionCitations] = {}
    for answer, flagged in rows:
        language, version = answer.article_language or "en", answer.article_version or 0
        item = out.setdefault(
            (language, version),
            VersionCitations(language, version, current=current.get(language) == version),
        )
        item.answers += 1
        unhelpful = answer.verdict == Verdict.NOT_HELPFUL.value
        item.not_helpful += unhelpful
        item.flagged += 1 if flagged else 0
        if (unhelpful or flagged) and len(item.conversations) < MAX_LISTED:
            item.conversations.append(
                {
                    "conversation_id": answer.conversation_id,
                    "at": answer.created_at.isoformat(),
                    "query": answer.query,
                    "not_helpful": unhelpful,
                    "flags": int(flagged),
                }
            )
    return sorted(out.values(), key=lambda v: (v.language, -v.version))
