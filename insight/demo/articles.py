"""What the KB offers the demo: the published translations with example questions (what the
bot shows, and what customers ask with), grouped by article, and the article a sign-in outage
sends everyone to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kb import repository as kb_repo
from kb.models import Article


@dataclass(frozen=True)
class Shown:
    """A published translation: what the bot shows and the questions customers ask with."""

    article_id: int
    key: str
    language: str
    version: int
    title: str
    answer: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class DemoArticle:
    article_id: int
    key: str
    tags: tuple[str, ...]
    translations: dict[str, Shown]

    def shown_in(self, language: str) -> Shown:
        """Its translation in ``language``, else English (the bot's fallback), else any."""
        return (
            self.translations.get(language)
            or self.translations.get("en")
            or next(iter(self.translations.values()))
        )


def published_articles(session: Session) -> list[DemoArticle]:
    """The articles the bot can answer with: published translations with example questions."""
    grouped: dict[int, tuple[Article, dict[str, Shown]]] = {}
    for row in kb_repo.published(session):
        questions = tuple(q for q in row.version.questions if q.strip())
        if not questions:
            continue
        _, shown = grouped.setdefault(row.article.id, (row.article, {}))
        shown[row.translation.language] = Shown(
            article_id=row.article.id, key=row.article.key, language=row.translation.language,
            version=int(row.translation.published_version or row.translation.version),
            title=row.version.title, answer=row.version.answer, questions=questions,
        )  # fmt: skip
    return [
        DemoArticle(article.id, article.key, tuple(article.tags or ()), shown)
        for article, shown in grouped.values()
    ]


def login_article(articles: Sequence[DemoArticle]) -> DemoArticle:
    """The article an outage of sign-in sends everyone to: login, else password, else any."""
    tests: tuple[Callable[[DemoArticle], bool], ...] = (
        lambda a: "login" in a.key,
        lambda a: "login" in a.tags or "sign-in" in a.tags,
        lambda a: "password" in a.key,
    )
    for wanted in tests:
        found = [a for a in articles if wanted(a)]
        if found:
            return found[0]
    return articles[0]
