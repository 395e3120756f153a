"""The live index kept in step with the database: what an edit changes in the index, applied
right after its commit (never for a rolled-back transaction), and the poll that picks up
other processes' commits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from kb import repository as repo
from kb.models import (
    Article,
    ArticleTranslation,
    ArticleVersion,
)
from kb.search.types import EngineConfig, IndexedArticle
from tierzero.db import after_commit

if TYPE_CHECKING:
    from kb.search import KbIndex
    from tierzero.settings import Settings


ARTICLE_PATH = "/kb/articles"


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


def indexed_article(
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
        indexed_article(r.article, r.translation, r.version)
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
