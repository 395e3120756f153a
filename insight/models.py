"""The facts insight needs that the desk's own tables do not keep.

- ``BotAnswer``: one row per decision the bot showed a customer (an answer with its article
  and the article's version, a choice of articles, an offer of a person), tied to the stored
  message; the customer's vote on an answer is kept on its row.
- ``AnswerFlag``: an agent marked a bot answer as wrong (incorrect, incomplete, outdated, wrong
  language, other); the editors' queue lists them.
- ``UnansweredQuestion``: a question the bot could not answer (or answered badly), with why,
  its conversation and language, moving through review (new → in review → applied/discarded).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handoff.lifecycle import sql_in
from tierzero.db import Base, utcnow

MAX_QUESTION_CHARS = 1000
MAX_FLAG_NOTE_CHARS = 1000


class Decision(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    OFFER_PERSON = "offer_person"


class Verdict(StrEnum):
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


class FlagReason(StrEnum):
    INCORRECT = "incorrect"
    INCOMPLETE = "incomplete"
    OUTDATED = "outdated"
    WRONG_LANGUAGE = "wrong_language"
    OTHER = "other"


class MissReason(StrEnum):
    """Why a question is in the editors' queue."""

    ABSTAINED = "abstained"  # nothing in the KB came close
    LOW_CONFIDENCE = "low_confidence"  # something came close, not close enough to answer
    UNHELPFUL = "unhelpful"  # answered, the customer said it did not help
    HANDED_OFF = "handed_off"  # answered, then the customer asked for a person
    FLAGGED = "flagged"  # answered, an agent flagged the answer


class ReviewState(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    APPLIED = "applied"
    DISCARDED = "discarded"


class BotAnswer(Base):
    __tablename__ = "bot_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    #: The stored bot message (``messages.seq``) that showed it.
    message_seq: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text, default="")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    #: The translation's version whose text the customer read.
    article_version: Mapped[int | None] = mapped_column(Integer)
    #: The translation shown (an English fallback says "en").
    article_language: Mapped[str | None] = mapped_column(String(8))
    #: The article's category when shown: the topic of the answer.
    topic: Mapped[str | None] = mapped_column(String(200))
    confidence: Mapped[float | None] = mapped_column(Float)
    #: The conversation's language when it was shown.
    language: Mapped[str | None] = mapped_column(String(8))
    verdict: Mapped[str | None] = mapped_column(String(12))
    verdict_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"decision in {sql_in(Decision)}", name="decision"),
        CheckConstraint(f"verdict is null or verdict in {sql_in(Verdict)}", name="verdict"),
        Index("ix_bot_answers_article", "article_id", "article_version"),
        Index("ix_bot_answers_created_at", "created_at"),
    )


class AnswerFlag(Base):
    __tablename__ = "answer_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_answer_id: Mapped[int] = mapped_column(ForeignKey("bot_answers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    #: Editors mark it handled (open → done) once the article is fixed or the flag rejected.
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint(f"reason in {sql_in(FlagReason)}", name="reason"),)


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    #: The bot decision it comes from (one question per decision).
    bot_answer_id: Mapped[int | None] = mapped_column(ForeignKey("bot_answers.id"), unique=True)
    query: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
    #: The article the bot answered with, when it answered (badly).
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    state: Mapped[str] = mapped_column(String(12), default=ReviewState.NEW.value)
    #: Where an editor applied it (the article that now has it as an example question).
    applied_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"reason in {sql_in(MissReason)}", name="reason"),
        CheckConstraint(f"state in {sql_in(ReviewState)}", name="state"),
        Index("ix_unanswered_questions_state_created", "state", "created_at"),
    )
