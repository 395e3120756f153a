"""Reading the knowledge base: articles, translations, versions and their diffs, and the
public view of a published article."""

from __future__ import annotations

import difflib

from sqlalchemy.orm import Session

from kb import repository as repo
from kb.errors import (
    ArticleNotFound,
    ArticleVersionNotFound,
    InvalidArticle,
    TranslationNotFound,
)
from kb.models import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    STATUSES,
    Article,
    ArticleTranslation,
    ArticleVersion,
)
from kb.render import render_html
from kb.validation import check_language, clean_field
from kb.views import ArticlePage, ArticleView, PublicArticle, TranslationView, VersionView


def find_article(session: Session, article_id: int) -> Article:
    article = repo.get_article(session, article_id)
    if article is None:
        raise ArticleNotFound("article not found")
    return article


def require_article(session: Session, article_id: int) -> None:
    if not repo.article_exists(session, article_id):
        raise ArticleNotFound("article not found")


def find_translation(
    session: Session, article_id: int, language: str, *, for_update: bool = False
) -> ArticleTranslation:
    translation = repo.get_translation(
        session, article_id, check_language(language), for_update=for_update
    )
    if translation is None:
        require_article(session, article_id)
        raise TranslationNotFound(f"article has no {language} translation")
    return translation


def find_version(session: Session, translation: ArticleTranslation, number: int) -> ArticleVersion:
    version = repo.get_version(session, translation.id, number)
    if version is None:
        raise ArticleVersionNotFound(f"version {number} does not exist")
    return version


def _view(session: Session, translation: ArticleTranslation) -> TranslationView:
    return TranslationView(
        translation.article, translation, find_version(session, translation, translation.version)
    )


def _article_view(session: Session, article: Article) -> ArticleView:
    current = repo.current_versions(session, article.translations)
    return ArticleView(
        article,
        tuple(TranslationView(article, t, current[t.id]) for t in article.translations),
    )


def get_article(session: Session, article_id: int) -> ArticleView:
    return _article_view(session, find_article(session, article_id))


def _article_by_key(session: Session, key: str) -> Article:
    article = repo.get_article_by_key(session, key)
    if article is None:
        raise ArticleNotFound("article not found")
    return article


def get_article_by_key(session: Session, key: str) -> ArticleView:
    return _article_view(session, _article_by_key(session, key))


def get_translation(session: Session, article_id: int, language: str) -> TranslationView:
    return _view(session, find_translation(session, article_id, language))


def list_articles(
    session: Session,
    *,
    status: str | None = None,
    language: str | None = None,
    category: str | None = None,
    text: str | None = None,
    from_tickets: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> ArticlePage:
    """Articles with a translation matching every filter; ``text`` matches title, questions,
    answer (case-insensitively, any script) and the key; ``from_tickets``: only drafts agents
    promoted from resolved tickets (and what became of them)."""
    if status is not None and status not in STATUSES:
        raise InvalidArticle(f"unknown status {status!r}")
    if language is not None:
        language = check_language(language)
    needle = " ".join(clean_field(text).split()).casefold() if text else None
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    items, total = repo.search_articles(
        session,
        status=status,
        language=language,
        category=category or None,
        text=needle or None,
        from_tickets=from_tickets,
        limit=limit,
        offset=offset,
    )
    return ArticlePage(items, total, limit, offset)


def list_versions(session: Session, article_id: int, language: str) -> list[VersionView]:
    """Every version, oldest first, each with its author and its diff from the one before."""
    translation = find_translation(session, article_id, language)
    versions = repo.list_versions(session, translation.id)
    views: list[VersionView] = []
    previous: ArticleVersion | None = None
    for version in versions:
        views.append(
            VersionView(
                version,
                published=version.number == translation.published_version,
                diff=_diff(previous, version) if previous is not None else "",
            )
        )
        previous = version
    return views


def diff_versions(
    session: Session, article_id: int, language: str, *, from_version: int, to_version: int
) -> str:
    translation = find_translation(session, article_id, language)
    return _diff(
        find_version(session, translation, from_version),
        find_version(session, translation, to_version),
    )


def _as_lines(version: ArticleVersion) -> list[str]:
    lines = [f"# {version.title}", "", *version.answer.split("\n"), "", "## Example questions"]
    lines.extend(f"- {q}" for q in version.questions)
    return lines


def _diff(old: ArticleVersion, new: ArticleVersion) -> str:
    return "\n".join(
        difflib.unified_diff(
            _as_lines(old),
            _as_lines(new),
            fromfile=f"version {old.number}",
            tofile=f"version {new.number}",
            lineterm="",
        )
    )


def public_article(session: Session, key: str, language: str | None) -> PublicArticle:
    """The published text of an article in ``language``, else explicitly in English."""
    requested = (language or FALLBACK_LANGUAGE).strip().lower()
    article = _article_by_key(session, key)
    live = {t.language: t for t in article.translations if t.status == "published"}
    translation = live.get(requested) or live.get(FALLBACK_LANGUAGE)
    if translation is None or translation.published_version is None:
        raise ArticleNotFound("article not found")
    version = find_version(session, translation, translation.published_version)
    return PublicArticle(
        key=article.key,
        language=translation.language,
        requested_language=requested if requested in LANGUAGES else FALLBACK_LANGUAGE,
        title=version.title,
        html=render_html(version.answer),
        version=version.number,
        published_at=translation.published_at,
        category=article.category,
    )
