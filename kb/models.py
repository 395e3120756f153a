"""Knowledge-base storage: logical articles, their translations and immutable versions.

An ``Article`` is the language-independent thing customers ask about (stable ``key`` slug,
category, tags). Each ``ArticleTranslation`` (one per language) has its own editorial life —
draft, published, archived — and a counter ``version`` that is both the number of its newest
``ArticleVersion`` and the optimistic-concurrency token editors send back. Versions are never
updated or deleted, so every text a customer was ever shown, and who wrote it, can be recovered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tierzero.db import Base, utcnow
from tierzero.languages import SUPPORTED_LANGUAGES

LANGUAGES = SUPPORTED_LANGUAGES
FALLBACK_LANGUAGE = "en"
STATUSES = ("draft", "published", "archived")
EVENT_KINDS = ("shown", "helpful", "not_helpful", "handoff_after")

MAX_KEY_CHARS = 120
MAX_TITLE_CHARS = 300
MAX_ANSWER_CHARS = 20_000
MAX_QUESTIONS = 200
MAX_QUESTION_CHARS = 500
MAX_CATEGORY_CHARS = 80
MAX_TAGS = 30
MAX_TAG_CHARS = 40
MAX_NOTE_CHARS = 500
MAX_QUERY_CHARS = 1000


class Article(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS), unique=True)
    category: Mapped[str | None] = mapped_column(String(MAX_CATEGORY_CHARS), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    #: The ticket whose resolution this article was promoted from ("L2 trains L1"); a plain id,
    #: so the KB does not depend on the desk.
    source_ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    translations: Mapped[list[ArticleTranslation]] = relationship(
        back_populates="article", lazy="raise", order_by="ArticleTranslation.language"
    )


class ArticleTranslation(Base):
    """One language of an article; ``version`` guards concurrent edits (UPDATE … WHERE version)."""

    __tablename__ = "kb_article_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[int | None] = mapped_column(Integer)
    # Copies of the newest version's title and a case-folded text of it, so lists and the
    # editor's text filter need no join and work for Greek/Cyrillic on SQLite too.
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    article: Mapped[Article] = relationship(back_populates="translations", lazy="raise")

    __table_args__ = (
        UniqueConstraint("article_id", "language", name="uq_kb_article_translations_lang"),
        CheckConstraint("status in ('draft','published','archived')", name="status"),
        CheckConstraint(
            "status <> 'published' OR published_version IS NOT NULL", name="published_has_version"
        ),
        Index("ix_kb_article_translations_status_language", "status", "language"),
    )
    # The ORM adds "AND version = <loaded>" to every UPDATE; the service sets the new value.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012

    @property
    def has_unpublished_changes(self) -> bool:
        return self.published_version != self.version


class ArticleVersion(Base):
    """Immutable snapshot of one translation's content, with who wrote it."""

    __tablename__ = "kb_article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("kb_article_translations.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS))
    answer: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(320))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(MAX_NOTE_CHARS))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("translation_id", "number", name="uq_kb_article_versions_number"),
    )


class AnswerEvent(Base):
    """The bot showed an article, the customer rated it, or asked for a person right after."""

    __tablename__ = "kb_answer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    query: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: Where it happened: the bot's answer ("bot") or an article page ("help_centre").
    source: Mapped[str] = mapped_column(String(12), default="bot")
    #: An anonymous help-centre reader (a cookie), for one vote per reader and article.
    visitor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("kind in ('shown','helpful','not_helpful','handoff_after')", name="kind"),
        CheckConstraint("source in ('bot','help_centre')", name="source"),
        Index("ix_kb_answer_events_article_kind", "article_id", "kind"),
        Index("ix_kb_answer_events_created_at", "created_at"),
        Index("ix_kb_answer_events_visitor", "article_id", "visitor"),
    )
