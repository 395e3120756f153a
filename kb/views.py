"""What the editorial functions return to their callers (the API, the CLI, the console)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kb.models import (
    Article,
    ArticleTranslation,
    ArticleVersion,
)
from kb.sync import article_url


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
