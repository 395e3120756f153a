"""The editorial workflow: create, edit, publish, archive and roll back articles and their
translations, each change a new version; changes customers can see reach the live index
right after the commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kb import repository as repo
from kb.errors import (
    ArticleKeyTaken,
    TranslationExists,
    VersionConflict,
)
from kb.models import (
    FALLBACK_LANGUAGE,
    Article,
    ArticleTranslation,
    ArticleVersion,
)
from kb.reading import find_article, find_translation, find_version, get_article, get_translation
from kb.sync import IndexChange, defer_to_index, indexed_article, indexed_articles
from kb.validation import (
    Content,
    check_category,
    check_content,
    check_key,
    check_language,
    check_note,
    check_tags,
    search_text,
)
from kb.views import ArticleView, TranslationView
from tierzero.db import utcnow

if TYPE_CHECKING:
    from kb.search import KbIndex


def _add_unique(session: Session, row: object, error: Exception) -> None:
    """Insert inside a savepoint so a lost race on a unique key becomes a domain error."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise error from exc


def _new_version(
    session: Session,
    translation: ArticleTranslation,
    content: Content,
    *,
    number: int,
    author: str,
    author_id: int | None,
    note: str | None,
) -> ArticleVersion:
    version = ArticleVersion(
        translation_id=translation.id,
        number=number,
        title=content.title,
        answer=content.answer,
        questions=list(content.questions),
        author=author,
        author_id=author_id,
        note=check_note(note),
        created_at=utcnow(),
    )
    session.add(version)
    translation.title = content.title
    translation.search_text = search_text(content)
    translation.updated_by = author
    translation.updated_at = utcnow()
    return version


def create_article(
    session: Session,
    *,
    key: str,
    language: str = FALLBACK_LANGUAGE,
    title: str,
    answer: str,
    questions: Iterable[str] = (),
    category: str | None = None,
    tags: Iterable[str] = (),
    author: str,
    author_id: int | None = None,
    note: str | None = None,
    source_ticket_id: int | None = None,
) -> ArticleView:
    """A new article with its first translation as a draft (version 1)."""
    key = check_key(key)
    language = check_language(language)
    content = check_content(title, answer, questions)
    if repo.get_article_by_key(session, key) is not None:
        raise ArticleKeyTaken(f"an article with key {key!r} exists")
    article = Article(
        key=key,
        category=check_category(category),
        tags=check_tags(tags),
        created_by=author,
        source_ticket_id=source_ticket_id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    _add_unique(session, article, ArticleKeyTaken(f"an article with key {key!r} exists"))
    _add_translation(session, article, language, content, author, author_id, note)
    return get_article(session, article.id)


def _add_translation(
    session: Session,
    article: Article,
    language: str,
    content: Content,
    author: str,
    author_id: int | None,
    note: str | None,
) -> ArticleTranslation:
    translation = ArticleTranslation(
        article_id=article.id, language=language, status="draft", version=1
    )
    _add_unique(
        session, translation, TranslationExists(f"article already has a {language} translation")
    )
    _new_version(
        session, translation, content, number=1, author=author, author_id=author_id, note=note
    )
    session.flush()
    return translation


def create_translation(
    session: Session,
    article_id: int,
    language: str,
    *,
    title: str,
    answer: str,
    questions: Iterable[str] = (),
    author: str,
    author_id: int | None = None,
    note: str | None = None,
) -> TranslationView:
    """Another language of an existing article, as a draft."""
    language = check_language(language)
    content = check_content(title, answer, questions)
    article = find_article(session, article_id)
    if any(t.language == language for t in article.translations):
        raise TranslationExists(f"article already has a {language} translation")
    _add_translation(session, article, language, content, author, author_id, note)
    return get_translation(session, article_id, language)


def _for_edit(
    session: Session, article_id: int, language: str, expected_version: int | None
) -> ArticleTranslation:
    """The translation, locked, if the editor still has its newest version (else 409)."""
    translation = find_translation(session, article_id, language, for_update=True)
    if expected_version is not None and expected_version != translation.version:
        raise VersionConflict(
            f"the article was changed meanwhile: you edited version {expected_version}, "
            f"the current version is {translation.version}",
            current_version=translation.version,
        )
    return translation


@contextmanager
def _versioned_write(session: Session, translation: ArticleTranslation) -> Iterator[None]:
    """Make the changes of the block in a savepoint whose flush is the guarded
    ``UPDATE … WHERE version = <read>``; if a concurrent writer got there first the savepoint
    is undone and the editor gets a 409 naming the current version."""
    article_id, language = translation.article_id, translation.language
    try:
        with session.begin_nested():
            yield
    except (StaleDataError, IntegrityError) as exc:
        current = repo.get_translation(session, article_id, language, for_update=True)
        current_version = current.version if current is not None else None
        raise VersionConflict(
            f"the article was changed meanwhile; the current version is {current_version}",
            current_version=current_version,
        ) from exc


def update_translation(
    session: Session,
    article_id: int,
    language: str,
    *,
    expected_version: int,
    title: str,
    answer: str,
    questions: Iterable[str] = (),
    author: str,
    author_id: int | None = None,
    note: str | None = None,
) -> TranslationView:
    """Save an edit as a new version; the live (published) version is untouched until publish.

    ``expected_version`` is the version the editor started from; if someone saved since, this
    raises ``VersionConflict`` (409) carrying the current version and writes nothing. Saving
    content identical to the current version creates no version.
    """
    content = check_content(title, answer, questions)
    translation = _for_edit(session, article_id, language, expected_version)
    current = find_version(session, translation, translation.version)
    if Content(current.title, current.answer, tuple(current.questions)) == content:
        return TranslationView(translation.article, translation, current)
    number = translation.version + 1
    with _versioned_write(session, translation):
        version = _new_version(
            session,
            translation,
            content,
            number=number,
            author=author,
            author_id=author_id,
            note=note,
        )
        translation.version = number
    return TranslationView(translation.article, translation, version)


def save_translation(
    session: Session,
    article_id: int,
    language: str,
    *,
    expected_version: int,
    title: str,
    answer: str,
    questions: Iterable[str] = (),
    author: str,
    author_id: int | None = None,
    note: str | None = None,
) -> TranslationView:
    """PUT semantics: ``expected_version=0`` creates the translation, otherwise updates it."""
    if expected_version == 0:
        existing = repo.get_translation(session, article_id, check_language(language))
        if existing is not None:
            raise VersionConflict(
                f"the {language} translation exists already (version {existing.version})",
                current_version=existing.version,
            )
        return create_translation(
            session,
            article_id,
            language,
            title=title,
            answer=answer,
            questions=questions,
            author=author,
            author_id=author_id,
            note=note,
        )
    return update_translation(
        session,
        article_id,
        language,
        expected_version=expected_version,
        title=title,
        answer=answer,
        questions=questions,
        author=author,
        author_id=author_id,
        note=note,
    )


def update_article(
    session: Session,
    article_id: int,
    *,
    category: str | None,
    tags: Iterable[str],
    index: KbIndex | None = None,
) -> ArticleView:
    """Category and tags belong to the article (all languages); live translations re-index."""
    article = find_article(session, article_id)
    article.category = check_category(category)
    article.tags = check_tags(tags)
    article.updated_at = utcnow()
    session.flush()
    if index is not None:
        live = tuple(indexed_articles(session, article_id=article_id))
        defer_to_index(session, index, IndexChange(upserts=live))
    return get_article(session, article_id)


def _make_live(translation: ArticleTranslation, number: int) -> None:
    translation.status = "published"
    translation.published_version = number
    translation.published_at = utcnow()


def _state_changed(
    session: Session,
    index: KbIndex | None,
    translation: ArticleTranslation,
    version: ArticleVersion,
) -> TranslationView:
    """Queue the index change the translation's new status calls for (live: upsert ``version``,
    otherwise remove) and return the view of ``version``."""
    if index is not None:
        if translation.status == "published":
            change = IndexChange(
                upserts=(indexed_article(translation.article, translation, version),)
            )
        else:
            change = IndexChange(removals=((translation.article_id, translation.language),))
        defer_to_index(session, index, change)
    return TranslationView(translation.article, translation, version)


def publish(
    session: Session,
    article_id: int,
    language: str,
    *,
    author: str,
    expected_version: int | None = None,
    index: KbIndex | None = None,
) -> TranslationView:
    """Make the newest version live; the bot answers with it from the next message on."""
    translation = _for_edit(session, article_id, language, expected_version)
    current = find_version(session, translation, translation.version)
    if translation.status == "published" and translation.published_version == translation.version:
        return TranslationView(translation.article, translation, current)
    with _versioned_write(session, translation):
        _make_live(translation, translation.version)
        translation.updated_by = author
        translation.updated_at = utcnow()
        translation.article.updated_at = utcnow()
    return _state_changed(session, index, translation, current)


def archive(
    session: Session,
    article_id: int,
    language: str,
    *,
    author: str,
    expected_version: int | None = None,
    index: KbIndex | None = None,
) -> TranslationView:
    """Take a translation off the bot and the public page; its versions stay for the record."""
    translation = _for_edit(session, article_id, language, expected_version)
    current = find_version(session, translation, translation.version)
    if translation.status == "archived":
        return TranslationView(translation.article, translation, current)
    with _versioned_write(session, translation):
        translation.status = "archived"
        translation.updated_by = author
        translation.updated_at = utcnow()
        translation.article.updated_at = utcnow()
    return _state_changed(session, index, translation, current)


def rollback(
    session: Session,
    article_id: int,
    language: str,
    *,
    to_version: int,
    author: str,
    author_id: int | None = None,
    expected_version: int | None = None,
    note: str | None = None,
    index: KbIndex | None = None,
) -> TranslationView:
    """Publish the content of an earlier version as a new version (history only grows)."""
    translation = _for_edit(session, article_id, language, expected_version)
    source = find_version(session, translation, to_version)
    number = translation.version + 1
    with _versioned_write(session, translation):
        version = _new_version(
            session,
            translation,
            Content(source.title, source.answer, tuple(source.questions)),
            number=number,
            author=author,
            author_id=author_id,
            note=note or f"rollback to version {to_version}",
        )
        translation.version = number
        _make_live(translation, number)
        translation.article.updated_at = utcnow()
    return _state_changed(session, index, translation, version)
