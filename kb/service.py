"""The rules of the knowledge base: editing, versions, publishing, import/export, feedback.

Plain functions, session first, keyword-only after; they only ``flush()`` — the caller's unit of
work commits. Functions that change what customers can see take ``index``: the matching
``KbIndex.upsert``/``remove`` is queued on the session and applied right *after* the commit
succeeds (never for a rolled-back transaction or savepoint), so the live index never shows an
article the database does not have. ``apply_to_index`` does the same by hand.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kb import importers
from kb import repository as repo
from kb.errors import (
    ArticleKeyTaken,
    ArticleNotFound,
    ArticleVersionNotFound,
    InvalidArticle,
    TranslationExists,
    TranslationNotFound,
    UnsafeContent,
    VersionConflict,
)
from kb.models import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    MAX_ANSWER_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_KEY_CHARS,
    MAX_NOTE_CHARS,
    MAX_QUERY_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    STATUSES,
    AnswerEvent,
    Article,
    ArticleTranslation,
    ArticleVersion,
)
from kb.render import find_unsafe, render_html
from kb.search.types import EngineConfig, IndexedArticle
from tierzero.db import after_commit, utcnow

if TYPE_CHECKING:
    from kb.search import KbIndex
    from tierzero.settings import Settings

log = logging.getLogger("tierzero.kb")

ARTICLE_PATH = "/kb/articles"
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

# --- live index synchronisation ------------------------------------------------------------


@dataclass(frozen=True)
class IndexChange:
    """What the live index must do so it shows exactly the published translations."""

    upserts: tuple[IndexedArticle, ...] = ()
    removals: tuple[tuple[int, str | None], ...] = ()  # (article_id, language or None = all)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.removals)

    def __add__(self, other: IndexChange) -> IndexChange:
        return IndexChange(self.upserts + other.upserts, self.removals + other.removals)


def apply_to_index(index: KbIndex, change: IndexChange) -> None:
    """Removals first, then upserts: an article moved between states ends in its final state."""
    with index.sync_lock:
        for article_id, language in change.removals:
            index.remove(article_id, language)
        for article in change.upserts:
            index.upsert(article)


def defer_to_index(session: Session, index: KbIndex | None, change: IndexChange) -> None:
    """Apply ``change`` to ``index`` once this session's transaction commits."""
    if index is None or not change:
        return
    after_commit(session, lambda: apply_to_index(index, change))


def article_url(key: str, language: str) -> str:
    """The public page of one translation (the help centre's); the link the bot shows."""
    from kb.public import article_path

    return article_path(key, language)


def _indexed(
    article: Article, translation: ArticleTranslation, version: ArticleVersion
) -> IndexedArticle:
    return IndexedArticle(
        article_id=article.id,
        language=translation.language,
        title=version.title,
        answer=version.answer,
        questions=tuple(version.questions),
        url=article_url(article.key, translation.language),
        version=version.number,
        category=article.category,
        tags=tuple(article.tags),
    )


def indexed_articles(session: Session, *, article_id: int | None = None) -> list[IndexedArticle]:
    """Every published translation as the index wants it (optionally of one article)."""
    return [
        _indexed(r.article, r.translation, r.version)
        for r in repo.published(session, article_id=article_id)
    ]


def new_index(settings: Settings, *, dense: bool | None = None) -> KbIndex:
    """An empty index configured from settings (``dense`` overrides ``kb_dense``), the same
    for the api and the CLI so both answer alike."""
    from kb.search import KbIndex  # the engine (numpy, scipy, models) only when one is made

    config = EngineConfig()
    if settings.kb_out_of_scope_share is not None:
        config = replace(config, out_of_scope_share=settings.kb_out_of_scope_share)
    return KbIndex(
        dense=settings.kb_dense == "on" if dense is None else dense,
        dense_english=settings.kb_dense_en == "on",
        cache_dir=settings.kb_cache_dir,
        config=config,
    )


def load_index(session: Session, index: KbIndex) -> int:
    """Rebuild ``index`` from the published versions; returns how many translations it holds."""
    articles = indexed_articles(session)
    index.rebuild(articles)
    return len(articles)


def count_articles(session: Session) -> int:
    return repo.count_articles(session)


class IndexSync:
    """Keeps a live index in step with what *other* processes commit (``tierzero kb import``,
    other api workers on PostgreSQL), by comparing each translation's publishing state.

    Call ``poll`` about once a second; edits made through this process's services already reach
    the index right after their commit. A poll is one aggregate query (~3-7 ms for 10k
    translations on SQLite); only when that changes are the per-translation states compared
    and the changed translations re-read.
    """

    def __init__(self, index: KbIndex) -> None:
        self.index = index
        self._seen: dict[tuple[int, str], repo.TranslationState] | None = None
        self._fingerprint: tuple[object, ...] | None = None

    def poll(self, session: Session) -> int:
        """Apply changes committed since the last poll (the first poll rebuilds the index);
        returns how many translations were upserted or removed.

        The index's ``sync_lock`` is held from the first read to the last write: an edit this
        process commits meanwhile applies its newer copy after ours, never before."""
        with self.index.sync_lock:
            return self._poll(session)

    def _poll(self, session: Session) -> int:
        fingerprint = repo.publishing_fingerprint(session)
        if self._seen is not None and fingerprint == self._fingerprint:
            return 0
        self._fingerprint = fingerprint
        states = {(s.article_id, s.language): s for s in repo.translation_states(session)}
        if self._seen is None:
            count = load_index(session, self.index)
            self._seen = states
            return count
        changed = [key for key, state in states.items() if self._seen.get(key) != state]
        gone = [key for key in self._seen if key not in states]
        if not changed and not gone:
            return 0
        live = {key for key in changed if states[key].status == "published"}
        upserts = [
            article
            for article_id in sorted({key[0] for key in live})
            for article in indexed_articles(session, article_id=article_id)
            if (article.article_id, article.language) in live
        ]
        seen = self._seen
        was_live = [key for key in changed if key in seen and seen[key].status == "published"]
        removals = [key for key in was_live if key not in live] + gone
        apply_to_index(
            self.index,
            IndexChange(
                upserts=tuple(upserts),
                removals=tuple((article_id, language) for article_id, language in removals),
            ),
        )
        self._seen = states
        return len(upserts) + len(removals)


# --- views returned to callers ---------------------------------------------------------------


@dataclass(frozen=True)
class TranslationView:
    """A translation with its article and its newest version (what the editor shows)."""

    article: Article
    translation: ArticleTranslation
    current: ArticleVersion

    @property
    def url(self) -> str:
        return article_url(self.article.key, self.translation.language)


@dataclass(frozen=True)
class ArticleView:
    article: Article
    translations: tuple[TranslationView, ...]


@dataclass(frozen=True)
class ArticlePage:
    items: Sequence[Article]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class VersionView:
    version: ArticleVersion
    published: bool
    diff: str  # unified diff from the previous version ("" for the first)


@dataclass(frozen=True)
class PublicArticle:
    key: str
    language: str
    requested_language: str
    title: str
    html: str
    version: int
    published_at: datetime | None
    category: str | None

    @property
    def fallback(self) -> bool:
        return self.language != self.requested_language


# --- validation ------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """NFC, no control characters but newline/tab: stored text compares equal on re-import."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _check_language(language: str) -> str:
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise InvalidArticle(
            f"unsupported language {language!r}: use one of {', '.join(LANGUAGES)}"
        )
    return code


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_CHARS or not KEY_PATTERN.match(key):
        raise InvalidArticle(
            f"key must be a slug of lowercase letters, digits and dashes, at most {MAX_KEY_CHARS}"
        )
    return key


#: Something a browser would read as a tag or a comment (``<img …>``, ``</b>``, ``<!--``).
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>|<!--")


def plain(text: str, what: str) -> str:
    """Titles, questions, tags, categories and notes are plain text everywhere they are shown
    (widget, console, help centre, exports): markup is refused on the way in, so no consumer
    has to remember to escape it. Answers are Markdown, sanitised by ``kb.render``."""
    found = MARKUP.search(text)
    if found:
        raise InvalidArticle(f"{what} is plain text: remove the markup {found.group(0)[:40]!r}")
    return text


def _check_category(category: str | None) -> str | None:
    if category is None:
        return None
    category = plain(" ".join(_clean(category).split()), "the category")
    if len(category) > MAX_CATEGORY_CHARS:
        raise InvalidArticle(f"category is longer than {MAX_CATEGORY_CHARS} characters")
    return category or None


def _check_tags(tags: Iterable[str]) -> list[str]:
    cleaned = [plain(" ".join(_clean(tag).split()), "a tag") for tag in tags]
    unique = list(dict.fromkeys(tag for tag in cleaned if tag))
    if len(unique) > MAX_TAGS:
        raise InvalidArticle(f"at most {MAX_TAGS} tags")
    if any(len(tag) > MAX_TAG_CHARS for tag in unique):
        raise InvalidArticle(f"a tag is longer than {MAX_TAG_CHARS} characters")
    return unique


@dataclass(frozen=True)
class Content:
    title: str
    answer: str
    questions: tuple[str, ...]


def check_content(title: str, answer: str, questions: Iterable[str]) -> Content:
    """Limits and safety of one translation's content; raises InvalidArticle / UnsafeContent."""
    title = plain(" ".join(_clean(title).split()), "the title")
    answer = _clean(answer).strip()
    if not title:
        raise InvalidArticle("title is missing")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidArticle(f"title is longer than {MAX_TITLE_CHARS} characters")
    if not answer:
        raise InvalidArticle("answer is missing")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidArticle(f"answer is longer than {MAX_ANSWER_CHARS} characters")
    problems = find_unsafe(answer)
    if problems:
        raise UnsafeContent("; ".join(problems))
    seen: set[str] = set()
    kept: list[str] = []
    for question in questions:
        text = plain(" ".join(_clean(question).split()), "an example question")
        if not text or text.casefold() in seen:
            continue
        if len(text) > MAX_QUESTION_CHARS:
            raise InvalidArticle(
                f"an example question is longer than {MAX_QUESTION_CHARS} characters"
            )
        seen.add(text.casefold())
        kept.append(text)
    if len(kept) > MAX_QUESTIONS:
        raise InvalidArticle(f"at most {MAX_QUESTIONS} example questions")
    return Content(title, answer, tuple(kept))


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = plain(" ".join(_clean(note).split()), "the note")
    return note[:MAX_NOTE_CHARS] or None


def _search_text(content: Content) -> str:
    return "\n".join((content.title, *content.questions, content.answer)).casefold()


# --- reading ---------------------------------------------------------------------------------


def _article(session: Session, article_id: int) -> Article:
    article = repo.get_article(session, article_id)
    if article is None:
        raise ArticleNotFound("article not found")
    return article


def _require_article(session: Session, article_id: int) -> None:
    if not repo.article_exists(session, article_id):
        raise ArticleNotFound("article not found")


def _translation(
    session: Session, article_id: int, language: str, *, for_update: bool = False
) -> ArticleTranslation:
    translation = repo.get_translation(
        session, article_id, _check_language(language), for_update=for_update
    )
    if translation is None:
        _require_article(session, article_id)
        raise TranslationNotFound(f"article has no {language} translation")
    return translation


def _version(session: Session, translation: ArticleTranslation, number: int) -> ArticleVersion:
    version = repo.get_version(session, translation.id, number)
    if version is None:
        raise ArticleVersionNotFound(f"version {number} does not exist")
    return version


def _view(session: Session, translation: ArticleTranslation) -> TranslationView:
    return TranslationView(
        translation.article, translation, _version(session, translation, translation.version)
    )


def _article_view(session: Session, article: Article) -> ArticleView:
    current = repo.current_versions(session, article.translations)
    return ArticleView(
        article,
        tuple(TranslationView(article, t, current[t.id]) for t in article.translations),
    )


def get_article(session: Session, article_id: int) -> ArticleView:
    return _article_view(session, _article(session, article_id))


def _article_by_key(session: Session, key: str) -> Article:
    article = repo.get_article_by_key(session, key)
    if article is None:
        raise ArticleNotFound("article not found")
    return article


def get_article_by_key(session: Session, key: str) -> ArticleView:
    return _article_view(session, _article_by_key(session, key))


def get_translation(session: Session, article_id: int, language: str) -> TranslationView:
    return _view(session, _translation(session, article_id, language))


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
        language = _check_language(language)
    needle = " ".join(_clean(text).split()).casefold() if text else None
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
    translation = _translation(session, article_id, language)
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
    translation = _translation(session, article_id, language)
    return _diff(
        _version(session, translation, from_version), _version(session, translation, to_version)
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
    version = _version(session, translation, translation.published_version)
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


# --- editing ---------------------------------------------------------------------------------


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
        note=_check_note(note),
        created_at=utcnow(),
    )
    session.add(version)
    translation.title = content.title
    translation.search_text = _search_text(content)
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
    key = _check_key(key)
    language = _check_language(language)
    content = check_content(title, answer, questions)
    if repo.get_article_by_key(session, key) is not None:
        raise ArticleKeyTaken(f"an article with key {key!r} exists")
    article = Article(
        key=key,
        category=_check_category(category),
        tags=_check_tags(tags),
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
    language = _check_language(language)
    content = check_content(title, answer, questions)
    article = _article(session, article_id)
    if any(t.language == language for t in article.translations):
        raise TranslationExists(f"article already has a {language} translation")
    _add_translation(session, article, language, content, author, author_id, note)
    return get_translation(session, article_id, language)


def _for_edit(
    session: Session, article_id: int, language: str, expected_version: int | None
) -> ArticleTranslation:
    """The translation, locked, if the editor still has its newest version (else 409)."""
    translation = _translation(session, article_id, language, for_update=True)
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
    current = _version(session, translation, translation.version)
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
        existing = repo.get_translation(session, article_id, _check_language(language))
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
    article = _article(session, article_id)
    article.category = _check_category(category)
    article.tags = _check_tags(tags)
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
            change = IndexChange(upserts=(_indexed(translation.article, translation, version),))
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
    current = _version(session, translation, translation.version)
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
    current = _version(session, translation, translation.version)
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
    source = _version(session, translation, to_version)
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


# --- import / export -------------------------------------------------------------------------


@dataclass
class ImportReport:
    """Per-row outcome; ``errors`` name the row so an editor can fix the file and re-import."""

    created: int = 0  # new translations
    updated: int = 0  # existing translations that got a new version
    unchanged: int = 0
    published: int = 0
    errors: list[importers.RowError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_file(
    session: Session,
    path: Path,
    *,
    author: str,
    author_id: int | None = None,
    publish: bool = True,
    index: KbIndex | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a YAML/JSON/CSV file (format from the suffix); see ``import_text``."""
    fmt = importers.detect_format(path.name)
    return import_text(
        session,
        importers.decode(path.read_bytes()),
        fmt=fmt,
        author=author,
        author_id=author_id,
        publish=publish,
        index=index,
        on_progress=on_progress,
    )


def import_text(
    session: Session,
    text: str,
    *,
    fmt: importers.Format,
    author: str,
    author_id: int | None = None,
    publish: bool = True,
    index: KbIndex | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update one translation per row, each in its own savepoint.

    A bad row (missing title/answer, over a limit, unsafe HTML, duplicate key in the file)
    becomes an error in the report and leaves nothing behind; the other rows are imported.
    Re-importing the same file changes nothing; a changed row becomes a new version.
    """
    parsed = importers.parse(text, fmt)
    report = ImportReport(errors=list(parsed.errors))
    total = len(parsed.rows)
    for done, row in enumerate(parsed.rows, start=1):
        try:
            with session.begin_nested():
                outcome = _import_row(
                    session,
                    row,
                    author=author,
                    author_id=author_id,
                    publish_row=publish,
                    index=index,
                )
        except (InvalidArticle, ArticleKeyTaken, TranslationExists, VersionConflict) as exc:
            report.errors.append(
                importers.RowError(row.location, row.key, row.language, exc.message)
            )
        else:
            if outcome.created:
                report.created += 1
            elif outcome.updated:
                report.updated += 1
            else:
                report.unchanged += 1
            report.published += int(outcome.published)
        if on_progress is not None:
            on_progress(done, total)
    report.errors.sort(key=lambda e: _location_order(e.location))
    return report


def _location_order(location: str) -> tuple[int, str]:
    numbers = re.findall(r"\d+", location)
    return (int(numbers[0]) if numbers else -1, location)


@dataclass(frozen=True)
class _RowOutcome:
    created: bool = False
    updated: bool = False
    published: bool = False


def _import_row(
    session: Session,
    row: importers.ImportRow,
    *,
    author: str,
    author_id: int | None,
    publish_row: bool,
    index: KbIndex | None,
) -> _RowOutcome:
    key = _check_key(row.key)
    language = _check_language(row.language)
    content = check_content(row.title, row.answer, row.questions)
    category = _check_category(row.category)
    tags = _check_tags(row.tags)
    note = "imported"
    article = repo.get_article_by_key(session, key)
    if article is None:
        view = create_article(
            session,
            key=key,
            language=language,
            title=content.title,
            answer=content.answer,
            questions=content.questions,
            category=category,
            tags=tags,
            author=author,
            author_id=author_id,
            note=note,
        )
        article = view.article
        created, updated = True, False
    else:
        if article.category != category or list(article.tags) != tags:
            article = update_article(
                session, article.id, category=category, tags=tags, index=index
            ).article
        translation = next((t for t in article.translations if t.language == language), None)
        if translation is None:
            create_translation(
                session,
                article.id,
                language,
                title=content.title,
                answer=content.answer,
                questions=content.questions,
                author=author,
                author_id=author_id,
                note=note,
            )
            created, updated = True, False
        else:
            before = translation.version
            view_t = update_translation(
                session,
                article.id,
                language,
                expected_version=translation.version,
                title=content.title,
                answer=content.answer,
                questions=content.questions,
                author=author,
                author_id=author_id,
                note=note,
            )
            created, updated = False, view_t.translation.version != before
    if not publish_row:
        return _RowOutcome(created, updated, False)
    translation = _translation(session, article.id, language)
    needs_publish = translation.published_version != translation.version or (
        translation.status == "draft"
    )
    if translation.status == "archived" and not (created or updated):
        needs_publish = False  # an editor archived it; an unchanged re-import leaves it so
    if needs_publish:
        publish(session, article.id, language, author=author, index=index)
    return _RowOutcome(created, updated, needs_publish)


def export(session: Session, fmt: importers.Format, *, include_unpublished: bool = False) -> str:
    """The live KB (published versions) as YAML/JSON/CSV, importable as it is.

    ``include_unpublished`` exports every non-archived translation's newest version instead —
    a backup of work in progress rather than a copy of what customers see.
    """
    if fmt not in importers.FORMATS:
        raise InvalidArticle(f"unknown export format {fmt!r}")
    if include_unpublished:
        translations = [t for t in repo.all_translations(session) if t.status != "archived"]
        current = repo.current_versions(session, translations)
        rows = [(t.article, t, current[t.id]) for t in translations]
    else:
        rows = [(r.article, r.translation, r.version) for r in repo.published(session)]
    by_article: dict[int, tuple[Article, list[importers.ExportTranslation]]] = {}
    for article, t, v in rows:
        by_article.setdefault(article.id, (article, []))[1].append(
            importers.ExportTranslation(t.language, v.title, v.answer, tuple(v.questions))
        )
    articles = [
        importers.ExportArticle(a.key, a.category, tuple(a.tags), tuple(ts))
        for a, ts in sorted(by_article.values(), key=lambda pair: pair[0].key)
    ]
    return importers.serialise(articles, fmt)


# --- answer events and stats -----------------------------------------------------------------


def _event_query(query: str) -> str:
    return _clean(query).strip()[:MAX_QUERY_CHARS]


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
    _require_article(session, article_id)
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
    _require_article(session, article_id)
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
    _require_article(session, article_id)
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
    article = _article(session, article_id)
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
