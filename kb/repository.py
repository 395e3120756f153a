"""Every query of the knowledge-base domain; the service holds the rules, this holds the SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from kb.models import AnswerEvent, Article, ArticleTranslation, ArticleVersion


def _article_where(session: Session, condition: ColumnElement[bool]) -> Article | None:
    """The article with its translations loaded (relationships are lazy="raise")."""
    return session.scalars(
        select(Article)
        .where(condition)
        .options(selectinload(Article.translations))
        .execution_options(populate_existing=True)
    ).first()


def get_article(session: Session, article_id: int) -> Article | None:
    return _article_where(session, Article.id == article_id)


def article_category(session: Session, article_id: int) -> str | None:
    """Just the category (what a bot answer records about its article, every turn)."""
    return session.scalar(select(Article.category).where(Article.id == article_id))


def get_article_by_key(session: Session, key: str) -> Article | None:
    return _article_where(session, Article.key == key)


def articles_by_keys(session: Session, keys: Iterable[str]) -> dict[str, Article]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = session.scalars(
        select(Article).where(Article.key.in_(wanted)).options(selectinload(Article.translations))
    ).all()
    return {article.key: article for article in rows}


def keys_by_id(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    wanted = list(set(article_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Article.id, Article.key).where(Article.id.in_(wanted))).all()
    return {row.id: row.key for row in rows}


def article_exists(session: Session, article_id: int) -> bool:
    return session.scalar(select(Article.id).where(Article.id == article_id)) is not None


def get_translation(
    session: Session, article_id: int, language: str, *, for_update: bool = False
) -> ArticleTranslation | None:
    """One translation with its article; ``for_update`` re-reads it and locks the row.

    The lock (PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE already) makes the
    editor's expected-version check and the write one atomic step.
    """
    query = (
        select(ArticleTranslation)
        .join(ArticleTranslation.article)
        .where(ArticleTranslation.article_id == article_id, ArticleTranslation.language == language)
        .options(contains_eager(ArticleTranslation.article))
    )
    if for_update:
        query = query.with_for_update(of=ArticleTranslation).execution_options(
            populate_existing=True
        )
    return session.scalars(query).first()


def get_version(session: Session, translation_id: int, number: int) -> ArticleVersion | None:
    return session.scalars(
        select(ArticleVersion).where(
            ArticleVersion.translation_id == translation_id, ArticleVersion.number == number
        )
    ).first()


def list_versions(session: Session, translation_id: int) -> Sequence[ArticleVersion]:
    return session.scalars(
        select(ArticleVersion)
        .where(ArticleVersion.translation_id == translation_id)
        .order_by(ArticleVersion.number)
    ).all()


def contains_pattern(text: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\``
    taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def current_versions(
    session: Session, translations: Iterable[ArticleTranslation]
) -> dict[int, ArticleVersion]:
    """The newest version of each translation, keyed by translation id, in one query."""
    pairs = [(t.id, t.version) for t in translations]
    if not pairs:
        return {}
    conditions = [
        and_(ArticleVersion.translation_id == tid, ArticleVersion.number == number)
        for tid, number in pairs
    ]
    rows = session.scalars(select(ArticleVersion).where(or_(*conditions))).all()
    return {row.translation_id: row for row in rows}


@dataclass(frozen=True)
class PublishedRow:
    article: Article
    translation: ArticleTranslation
    version: ArticleVersion


def published(session: Session, *, article_id: int | None = None) -> list[PublishedRow]:
    """Every published translation with its article and its published version, one query."""
    query = (
        select(Article, ArticleTranslation, ArticleVersion)
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .join(
            ArticleVersion,
            and_(
                ArticleVersion.translation_id == ArticleTranslation.id,
                ArticleVersion.number == ArticleTranslation.published_version,
            ),
        )
        .where(ArticleTranslation.status == "published")
        .order_by(Article.id, ArticleTranslation.language)
    )
    if article_id is not None:
        query = query.where(Article.id == article_id)
    return [PublishedRow(a, t, v) for a, t, v in session.execute(query)]


def _filtered_article_ids(
    *,
    status: str | None,
    language: str | None,
    category: str | None,
    text: str | None,
    from_tickets: bool = False,
) -> Select[int]:
    query = select(Article.id).outerjoin(
        ArticleTranslation, ArticleTranslation.article_id == Article.id
    )
    if status:
        query = query.where(ArticleTranslation.status == status)
    if language:
        query = query.where(ArticleTranslation.language == language)
    if category:
        query = query.where(Article.category == category)
    if from_tickets:
        query = query.where(Article.source_ticket_id.is_not(None))
    if text:
        pattern = contains_pattern(text)
        query = query.where(
            ArticleTranslation.search_text.like(pattern, escape="\\")
            | Article.key.like(pattern, escape="\\")
        )
    return query.distinct()


def search_articles(
    session: Session,
    *,
    status: str | None = None,
    language: str | None = None,
    category: str | None = None,
    text: str | None = None,
    from_tickets: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Article], int]:
    """Articles having a translation that matches every filter given, newest edits first."""
    ids = _filtered_article_ids(
        status=status, language=language, category=category, text=text, from_tickets=from_tickets
    )
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    items = session.scalars(
        select(Article)
        .where(Article.id.in_(ids))
        .options(selectinload(Article.translations))
        .order_by(Article.updated_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return items, int(total)


@dataclass(frozen=True)
class TranslationState:
    article_id: int
    language: str
    status: str
    published_version: int | None
    article_updated_at: str  # as the database spells it: compared, never parsed
    translation_updated_at: str


def translation_states(session: Session) -> list[TranslationState]:
    """The few columns that decide what the index must hold, for every translation."""
    rows = session.execute(
        select(
            ArticleTranslation.article_id,
            ArticleTranslation.language,
            ArticleTranslation.status,
            ArticleTranslation.published_version,
            cast(Article.updated_at, String).label("article_updated_at"),
            cast(ArticleTranslation.updated_at, String).label("translation_updated_at"),
        ).join(Article, Article.id == ArticleTranslation.article_id)
    ).all()
    return [TranslationState(*row) for row in rows]


def publishing_fingerprint(session: Session) -> tuple[object, ...]:
    """One aggregate row that changes whenever a translation is added, published, archived or
    edited, or an article's metadata changes: lets a poller skip the full comparison."""
    live = ArticleTranslation.status == "published"
    row = session.execute(
        select(
            func.count().label("translations"),
            func.sum(case((live, 1), else_=0)).label("live"),
            func.sum(case((live, ArticleTranslation.published_version), else_=0)).label("versions"),
            func.sum(case((live, ArticleTranslation.id), else_=0)).label("ids"),
            cast(func.max(ArticleTranslation.updated_at), String).label("translation_updated"),
            select(cast(func.max(Article.updated_at), String))
            .scalar_subquery()
            .label("article_updated"),
        )
    ).one()
    return tuple(row)


def count_articles(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Article)) or 0)


def all_translations(session: Session) -> Sequence[ArticleTranslation]:
    return session.scalars(
        select(ArticleTranslation)
        .join(ArticleTranslation.article)
        .options(contains_eager(ArticleTranslation.article))
        .order_by(Article.key, ArticleTranslation.language)
    ).all()


# --- answer events -----------------------------------------------------------------------


def feedback_event(
    session: Session,
    *,
    article_id: int,
    conversation_id: int | None = None,
    visitor: str | None = None,
) -> AnswerEvent | None:
    """The vote already given on an article in a conversation, or by a help-centre reader."""
    who = (
        AnswerEvent.conversation_id == conversation_id
        if conversation_id is not None
        else AnswerEvent.visitor == visitor
    )
    return session.scalars(
        select(AnswerEvent)
        .where(
            AnswerEvent.article_id == article_id,
            who,
            AnswerEvent.kind.in_(("helpful", "not_helpful")),
        )
        .order_by(AnswerEvent.id.desc())
    ).first()


def has_event(session: Session, *, article_id: int, conversation_id: int, kind: str) -> bool:
    found = session.scalar(
        select(AnswerEvent.id).where(
            AnswerEvent.article_id == article_id,
            AnswerEvent.conversation_id == conversation_id,
            AnswerEvent.kind == kind,
        )
    )
    return found is not None


def last_shown_language(session: Session, *, article_id: int, conversation_id: int) -> str | None:
    return session.scalar(
        select(AnswerEvent.language)
        .where(
            AnswerEvent.article_id == article_id,
            AnswerEvent.conversation_id == conversation_id,
            AnswerEvent.kind == "shown",
        )
        .order_by(AnswerEvent.id.desc())
        .limit(1)
    )


def event_counts(session: Session, article_id: int) -> list[tuple[str | None, str, int]]:
    """(language, kind, count) for one article."""
    rows = session.execute(
        select(AnswerEvent.language, AnswerEvent.kind, func.count())
        .where(AnswerEvent.article_id == article_id)
        .group_by(AnswerEvent.language, AnswerEvent.kind)
    ).all()
    return [(language, kind, int(count)) for language, kind, count in rows]
