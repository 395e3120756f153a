"""Pydantic v2 shapes of the knowledge base as the editor API and the public page show them.

Requests forbid unknown fields (a typo is a 422, not a silently ignored option). Responses are
built from the service's views with the ``of`` constructors, so the routes stay one-liners.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kb.models import (
    MAX_ANSWER_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_KEY_CHARS,
    MAX_NOTE_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
)
from kb.service import (
    AnswerStats,
    ArticlePage,
    ArticleStats,
    ArticleView,
    ImportReport,
    PublicArticle,
    TranslationView,
    VersionView,
    article_url,
)
from tierzero.db import MAX_DB_INT

Language = Literal["en", "el", "ru", "sr"]
Status = Literal["draft", "published", "archived"]
Decision = Literal["answer", "clarify", "abstain"]
Key = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_KEY_CHARS, pattern=r"^[a-z0-9_-]+$"
    ),
]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
Answer = Annotated[str, StringConstraints(max_length=MAX_ANSWER_CHARS)]
Question = Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS)]
Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS)]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Content(Strict):
    title: Title
    answer: Answer
    questions: list[Question] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    note: Note | None = None


class ArticleCreate(Content):
    key: Key
    language: Language = "en"
    category: Annotated[str, StringConstraints(max_length=MAX_CATEGORY_CHARS)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class ArticleUpdate(Strict):
    category: Annotated[str, StringConstraints(max_length=MAX_CATEGORY_CHARS)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class TranslationSave(Content):
    """``expected_version``: the version the editor started from; 0 creates the translation."""

    expected_version: int = Field(ge=0, le=MAX_DB_INT)


class StateChange(Strict):
    """Optional guard for publish/archive: refuse if someone saved a newer version meanwhile."""

    expected_version: int | None = Field(default=None, ge=1, le=MAX_DB_INT)


class RollbackRequest(Strict):
    version: int = Field(ge=1, le=MAX_DB_INT)
    expected_version: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    note: Note | None = None


class PreviewRequest(Strict):
    answer: Answer


class PreviewRead(BaseModel):
    #: the answer as the help centre and the widget's article page show it (sanitised HTML)
    html: str


class TryRequest(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    language: Language | None = None


# --- responses -------------------------------------------------------------------------------


class TranslationSummary(BaseModel):
    language: str
    status: Status
    version: int
    published_version: int | None
    has_unpublished_changes: bool
    title: str
    updated_by: str
    updated_at: datetime
    published_at: datetime | None
    url: str


class TranslationRead(TranslationSummary):
    article_id: int
    key: str
    answer: str
    questions: list[str]
    author: str
    note: str | None

    @classmethod
    def of(cls, view: TranslationView) -> TranslationRead:
        t, v = view.translation, view.current
        return cls(
            article_id=view.article.id,
            key=view.article.key,
            language=t.language,
            status=t.status,  # type: ignore[arg-type]
            version=t.version,
            published_version=t.published_version,
            has_unpublished_changes=t.has_unpublished_changes,
            title=v.title,
            answer=v.answer,
            questions=list(v.questions),
            author=v.author,
            note=v.note,
            updated_by=t.updated_by,
            updated_at=t.updated_at,
            published_at=t.published_at,
            url=view.url,
        )


class ArticleSummary(BaseModel):
    id: int
    key: str
    category: str | None
    tags: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime
    #: the resolved ticket an agent promoted this article from (None: written by an editor)
    source_ticket_id: int | None
    translations: list[TranslationSummary]


class ArticleRead(ArticleSummary):
    translations: list[TranslationRead]  # type: ignore[assignment]

    @classmethod
    def of(cls, view: ArticleView) -> ArticleRead:
        a = view.article
        return cls(
            id=a.id,
            key=a.key,
            category=a.category,
            tags=list(a.tags),
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
            source_ticket_id=a.source_ticket_id,
            translations=[TranslationRead.of(t) for t in view.translations],
        )


class ArticleList(BaseModel):
    items: list[ArticleSummary]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: ArticlePage) -> ArticleList:
        return cls(
            items=[
                ArticleSummary(
                    id=a.id,
                    key=a.key,
                    category=a.category,
                    tags=list(a.tags),
                    created_by=a.created_by,
                    created_at=a.created_at,
                    updated_at=a.updated_at,
                    source_ticket_id=a.source_ticket_id,
                    translations=[
                        TranslationSummary(
                            language=t.language,
                            status=t.status,  # type: ignore[arg-type]
                            version=t.version,
                            published_version=t.published_version,
                            has_unpublished_changes=t.has_unpublished_changes,
                            title=t.title,
                            updated_by=t.updated_by,
                            updated_at=t.updated_at,
                            published_at=t.published_at,
                            url=article_url(a.key, t.language),
                        )
                        for t in a.translations
                    ],
                )
                for a in page.items
            ],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )


class VersionRead(BaseModel):
    number: int
    title: str
    answer: str
    questions: list[str]
    author: str
    author_id: int | None
    note: str | None
    created_at: datetime
    published: bool
    diff: str  # unified diff from the previous version

    @classmethod
    def of(cls, view: VersionView) -> VersionRead:
        v = view.version
        return cls(
            number=v.number,
            title=v.title,
            answer=v.answer,
            questions=list(v.questions),
            author=v.author,
            author_id=v.author_id,
            note=v.note,
            created_at=v.created_at,
            published=view.published,
            diff=view.diff,
        )


class VersionList(BaseModel):
    article_id: int
    language: str
    versions: list[VersionRead]


class DiffRead(BaseModel):
    from_version: int
    to_version: int
    diff: str


class ImportErrorRead(BaseModel):
    location: str
    key: str | None
    language: str | None
    message: str


class ImportReportRead(BaseModel):
    created: int
    updated: int
    unchanged: int
    published: int
    failed: int
    errors: list[ImportErrorRead]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportRead:
        return cls(
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            published=report.published,
            failed=report.failed,
            errors=[
                ImportErrorRead(
                    location=e.location, key=e.key, language=e.language, message=e.message
                )
                for e in report.errors
            ],
        )


class AnswerStatsRead(BaseModel):
    shown: int
    helpful: int
    not_helpful: int
    helpful_rate: float | None  # helpful / (helpful + not_helpful); None before any vote
    handoffs_after: int


class ArticleStatsRead(AnswerStatsRead):
    article_id: int
    key: str
    by_language: dict[str, AnswerStatsRead]

    @classmethod
    def of(cls, stats: ArticleStats) -> ArticleStatsRead:
        def one(s: AnswerStats) -> AnswerStatsRead:
            return AnswerStatsRead(
                shown=s.shown,
                helpful=s.helpful,
                not_helpful=s.not_helpful,
                helpful_rate=s.helpful_rate,
                handoffs_after=s.handoffs_after,
            )

        return cls(
            article_id=stats.article_id,
            key=stats.key,
            **one(stats.total).model_dump(),
            by_language={lang: one(s) for lang, s in stats.by_language.items()},
        )


class TryHit(BaseModel):
    article_id: int
    key: str | None
    language: str
    requested_language: str | None
    title: str
    url: str
    version: int
    confidence: float
    score: float


class TryResult(BaseModel):
    query: str
    language: str | None
    decision: Decision
    would_answer: bool
    hits: list[TryHit]


class PublicArticleRead(BaseModel):
    key: str
    language: str
    requested_language: str
    fallback: bool  # True: not published in the requested language, English shown instead
    title: str
    html: str  # sanitised
    version: int
    category: str | None
    published_at: datetime | None

    @classmethod
    def of(cls, article: PublicArticle) -> PublicArticleRead:
        return cls(
            key=article.key,
            language=article.language,
            requested_language=article.requested_language,
            fallback=article.fallback,
            title=article.title,
            html=article.html,
            version=article.version,
            category=article.category,
            published_at=article.published_at,
        )
