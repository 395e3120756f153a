"""What the public may read of the knowledge base: the help centre's categories, article pages,
related articles and sitemap, from published translations only (drafts, archived articles and
unpublished edits never show).

One query loads the published text of every article (``kb.repository.published``); the help
centre's pages are small projections of it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kb import repository as repo
from kb.errors import ArticleNotFound
from kb.models import FALLBACK_LANGUAGE

#: Articles without a category are listed under this one.
GENERAL = "general"
EXCERPT_CHARS = 160
HELP_PATH = "/help"


@dataclass(frozen=True)
class Locale:
    """A help-centre language as it appears in URLs: Serbian once per script."""

    slug: str  # in the URL
    language: str  # of the KB
    script: str | None  # Serbian: "Latn" (as stored) or "Cyrl" (transliterated)
    hreflang: str
    label: str


LOCALES: dict[str, Locale] = {
    locale.slug: locale
    for locale in (
        Locale("en", "en", None, "en", "English"),
        Locale("el", "el", None, "el", "Ελληνικά"),
        Locale("ru", "ru", None, "ru", "Русский"),
        Locale("sr-latn", "sr", "Latn", "sr-Latn", "Srpski (latinica)"),
        Locale("sr-cyrl", "sr", "Cyrl", "sr-Cyrl", "Српски (ћирилица)"),
    )
}


def locale_for(language: str, script: str | None = None) -> Locale:
    """The help-centre locale of a KB language (Serbian: Latin unless Cyrillic is asked for)."""
    if language == "sr":
        return LOCALES["sr-cyrl" if script == "Cyrl" else "sr-latn"]
    return LOCALES.get(language) or LOCALES[FALLBACK_LANGUAGE]


def article_path(key: str, language: str, script: str | None = None) -> str:
    """The public page of an article in a language: what the bot links to."""
    return f"{HELP_PATH}/{locale_for(language, script).slug}/articles/{key}"


def category_path(name: str, locale: Locale) -> str:
    return f"{HELP_PATH}/{locale.slug}/categories/{name}"


@dataclass(frozen=True)
class Published:
    """One live translation."""

    article_id: int
    key: str
    category: str
    language: str
    title: str
    answer: str  # Markdown
    version: int
    published_at: datetime | None


@dataclass(frozen=True)
class Shown:
    """An article as a reader of ``requested`` sees it: their language, else English."""

    text: Published
    requested: str
    languages: tuple[str, ...]  # every language it is published in

    @property
    def fallback(self) -> bool:
        return self.text.language != self.requested


@dataclass(frozen=True)
class Category:
    name: str
    articles: Sequence[Shown]


_MARKUP = re.compile(r"[*_`#>\[\]]|\(https?://[^)]*\)|!\S+")
_SPACE = re.compile(r"\s+")


def excerpt(markdown: str, limit: int = EXCERPT_CHARS) -> str:
    """Plain text from the start of an answer (meta descriptions, list entries)."""
    text = _SPACE.sub(" ", _MARKUP.sub("", markdown)).strip()
    text = re.sub(r"(?:^|\s)\d+\.\s", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def published(session: Session) -> dict[str, dict[str, Published]]:
    """Every live translation: key → language → text."""
    found: dict[str, dict[str, Published]] = defaultdict(dict)
    for row in repo.published(session):
        article, translation, version = row.article, row.translation, row.version
        found[article.key][translation.language] = Published(
            article.id, article.key, article.category or GENERAL, translation.language,
            version.title, version.answer, version.number, translation.published_at,
        )  # fmt: skip
    return dict(found)


def _shown(texts: dict[str, Published], language: str) -> Shown | None:
    text = texts.get(language) or texts.get(FALLBACK_LANGUAGE)
    if text is None:
        return None
    return Shown(text, language, tuple(sorted(texts)))


def categories(session: Session, language: str) -> list[Category]:
    """Categories with their articles (titles in ``language`` where translated), by name."""
    grouped: dict[str, list[Shown]] = defaultdict(list)
    for texts in published(session).values():
        shown = _shown(texts, language)
        if shown is not None:
            grouped[shown.text.category].append(shown)
    return [
        Category(name, sorted(items, key=lambda s: s.text.title.casefold()))
        for name, items in sorted(grouped.items())
    ]


def article(session: Session, key: str, language: str) -> tuple[Shown, list[Shown]]:
    """The article in ``language`` (else English) and up to five others of its category."""
    everything = published(session)
    texts = everything.get(key)
    shown = _shown(texts, language) if texts else None
    if shown is None:
        raise ArticleNotFound("article not found")
    related = [
        other
        for other_key, other_texts in everything.items()
        if other_key != key
        and (other := _shown(other_texts, language)) is not None
        and other.text.category == shown.text.category
    ]
    related.sort(key=lambda s: s.text.title.casefold())
    return shown, related[:5]
